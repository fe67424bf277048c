package mmgp.models.smolvlm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import mmgp.models.smolvlm.SmolVlmChatTemplate.Item;
import mmgp.models.smolvlm.SmolVlmChatTemplate.Message;
import org.junit.jupiter.api.Test;

class SmolVlmChatTemplateTest {

    private final SmolVlmChatTemplate template = SmolVlmChatTemplate.of(SmolVlmChatTemplate.TEMPLATE);

    @Test
    void theFixtureTemplateIsTheImplementedOne() throws IOException {
        SmolVlmChatTemplate.load(SmolVlmProcessorGoldenTest.CHECKPOINT); // throws if it differed
    }

    @Test
    void rendersMultiTurnConversations() {
        List<Message> conversation = List.of(
                Message.user(Item.image(null), Item.text("What is this?")),
                Message.assistant(Item.text("A cat.")),
                new Message("USER", List.of(Item.text("And "), Item.image(null), Item.text("?"))));

        assertThat(template.render(conversation, true)).isEqualTo("<|im_start|>User:<image>What is this?"
                + "<end_of_utterance>\nAssistant: A cat.<end_of_utterance>\nUser: And <image>?<end_of_utterance>\n"
                + "Assistant:");
        assertThat(template.render(conversation.subList(0, 1), false))
                .isEqualTo("<|im_start|>User:<image>What is this?<end_of_utterance>\n");
    }

    @Test
    void capitalizeIsJinjas() {
        assertThat(SmolVlmChatTemplate.capitalize("sYSTEM")).isEqualTo("System");
        assertThat(SmolVlmChatTemplate.capitalize("")).isEmpty();
    }

    @Test
    void acceptsTheLaterDefaultTemplateWithAVideoBranch() {
        assertThat(SmolVlmChatTemplate.TEMPLATE_WITH_VIDEO).contains("{{ '<video>' }}");
        SmolVlmChatTemplate.of(SmolVlmChatTemplate.TEMPLATE_WITH_VIDEO);
    }

    @Test
    void rejectsOtherTemplatesNamingTheDifference() {
        String changed = SmolVlmChatTemplate.TEMPLATE.replace("{{': '}}", "{{':  '}}");
        assertThatThrownBy(() -> SmolVlmChatTemplate.of(changed))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("character " + (SmolVlmChatTemplate.TEMPLATE.indexOf("{{': '}}") + 5))
                .hasMessageContaining("got \" '}}");
    }

    @Test
    void rejectsEmptyMessagesAndUnexpandedVideos() {
        assertThatThrownBy(() -> template.render(List.of(new Message("user", List.of())), true))
                .isInstanceOf(IllegalArgumentException.class);
        SmolVlmVideoSampler.Video video = SmolVlmVideoSampler.Video.ofFrames(
                List.of(SmolVlmImageProcessor.Image.rgb(1, 1, new byte[3])), 1.0);
        assertThatThrownBy(() -> template.render(List.of(Message.user(Item.video(video))), true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expanded");
    }
}
