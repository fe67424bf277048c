package mmgp.models.smolvlm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import mmgp.models.smolvlm.SmolVlmChatTemplate.Item;
import mmgp.models.smolvlm.SmolVlmChatTemplate.Message;
import mmgp.models.smolvlm.SmolVlmImageProcessor.Image;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Processor behaviour beyond the golden cases: short videos, several images, input errors. */
class SmolVlmProcessorTest {

    private static SmolVlmProcessor processor;

    @BeforeAll
    static void load() throws IOException {
        processor = SmolVlmProcessor.load(SmolVlmProcessorGoldenTest.CHECKPOINT);
    }

    private static String global() {
        return "<fake_token_around_image><global-img>" + "<image>".repeat(9) + "<fake_token_around_image>";
    }

    @Test
    void aVideoShorterThanMaxFramesUsesEveryFrame() throws IOException {
        List<Image> frames = List.of(SmolVlmImageProcessorTest.pattern(48, 32), SmolVlmImageProcessorTest.pattern(48, 32));
        SmolVlmVideoSampler.Video video = SmolVlmVideoSampler.Video.ofFrames(frames, 1.0); // 2 s, max_frames 4

        SmolVlmProcessor.Inputs inputs = processor.applyChatTemplate(
                List.of(Message.user(Item.text("Look: "), Item.video(video))), false);

        assertThat(inputs.videos().get(0).frameIndices()).containsExactly(0, 1);
        assertThat(inputs.prompt()).isEqualTo("<|im_start|>User: Look: You are provided the following series of two "
                + "frames from a 0:00:02 [H:MM:SS] video.\n\nFrame from 00:00:<image>\nFrame from 00:01:<image>\n\n"
                + "<end_of_utterance>\n");
        assertThat(inputs.expandedPrompt()).isEqualTo(inputs.prompt().replace("<image>", global()));
        assertThat(inputs.pixels().shape()).containsExactly(2, 3, 96, 96);
        assertThat(processor.tokenizer().decode(inputs.inputIds())).contains("Frame from 00:01:");
    }

    @Test
    void severalImagesExpandInOrder() {
        Image wide = SmolVlmImageProcessorTest.pattern(200, 90); // 2 x 3 tiles
        Image tall = SmolVlmImageProcessorTest.pattern(90, 200); // 3 x 2 tiles
        String prompt = processor.renderPrompt(List.of(Message.user(Item.image(wide), Item.text(" and "),
                Item.image(tall))), true);

        SmolVlmProcessor.Inputs inputs = processor.process(prompt, List.of(wide, tall));

        assertThat(inputs.pixels().rows()).containsExactly(2, 3);
        assertThat(inputs.pixels().cols()).containsExactly(3, 2);
        assertThat(inputs.pixels().numImages()).isEqualTo(7 + 7);
        assertThat(inputs.expandedPrompt()).isEqualTo("<|im_start|>User:" + processor.imagePromptString(2, 3)
                + " and " + processor.imagePromptString(3, 2) + "<end_of_utterance>\nAssistant:");
        long imageTokens = java.util.Arrays.stream(inputs.inputIds()).filter(id -> id == processor.imageTokenId()).count();
        assertThat(imageTokens).isEqualTo(14L * processor.imageSeqLen());
    }

    @Test
    void splitLayoutHasRowBreaksAndTheGlobalImageLast() {
        String tile = "<image>".repeat(9);
        assertThat(processor.imagePromptString(1, 2)).isEqualTo("<fake_token_around_image><row_1_col_1>" + tile
                + "<fake_token_around_image><row_1_col_2>" + tile + "\n\n" + global());
        assertThat(processor.imagePromptString(0, 0)).isEqualTo(global());
    }

    @Test
    void imageCountMustMatchTheText() {
        Image image = SmolVlmImageProcessorTest.pattern(10, 10);
        assertThatThrownBy(() -> processor.process("<image><image>", List.of(image)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2]").hasMessageContaining("[1]");
        assertThatThrownBy(() -> processor.process("no image", List.of(image)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void imagesAndVideosCannotBeMixed() {
        Image image = SmolVlmImageProcessorTest.pattern(10, 10);
        SmolVlmVideoSampler.Video video = SmolVlmVideoSampler.Video.ofFrames(List.of(image), 1.0);
        assertThatThrownBy(() -> processor.applyChatTemplate(
                List.of(Message.user(Item.image(image), Item.video(video))), true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not both");
        assertThatThrownBy(() -> processor.applyChatTemplate(List.of(Message.user(Item.image(null))), true))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
