package mmgp.models.smolvlm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import mmgp.models.smolvlm.SmolVlmChatTemplate.Item;
import mmgp.models.smolvlm.SmolVlmChatTemplate.Message;
import mmgp.models.smolvlm.SmolVlmImageProcessor.Image;
import mmgp.safetensors.SafetensorsFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * transformers' SmolVLMProcessor (4.52.0.dev0, slow GPT-2 tokenizer, PIL LANCZOS) on the
 * smolvlm2_processor fixture: token ids and strings exact; pixel values within the recorded
 * tolerance (atol 1e-6; in fact bit-identical, asserted below too); resize traces exact.
 */
class SmolVlmProcessorGoldenTest {

    static final Path FIXTURE = Path.of("src/test/resources/fixtures/smolvlm2_processor");
    static final Path CHECKPOINT = FIXTURE.resolve("checkpoint");

    private static final ObjectMapper JSON = new ObjectMapper();

    private static SmolVlmProcessor processor;
    private static JsonNode cases;

    @BeforeAll
    static void load() throws IOException {
        processor = SmolVlmProcessor.load(CHECKPOINT);
        cases = JSON.readTree(FIXTURE.resolve("golden/cases.json").toFile()).get("cases");
    }

    private static JsonNode goldenCase(String name) {
        for (JsonNode c : cases) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("cases.json has no case " + name);
    }

    private static SafetensorsFile goldenFile(JsonNode c) throws IOException {
        return SafetensorsFile.open(FIXTURE.resolve(c.get("file").asText()));
    }

    /** The conversation of a case; image items get {@code image}, video items {@code video}. */
    private static List<Message> conversation(JsonNode c, Image image, SmolVlmVideoSampler.Video video) {
        List<Message> messages = new ArrayList<>();
        for (JsonNode message : c.get("conversation")) {
            List<Item> items = new ArrayList<>();
            for (JsonNode item : message.get("content")) {
                switch (item.get("type").asText()) {
                    case "text" -> items.add(Item.text(item.get("text").asText()));
                    case "image" -> items.add(Item.image(image));
                    case "video" -> items.add(Item.video(video));
                    default -> throw new AssertionError("unexpected item " + item);
                }
            }
            messages.add(new Message(message.get("role").asText(), items));
        }
        return messages;
    }

    private static List<String> tokens(int[] ids) {
        List<String> tokens = new ArrayList<>();
        for (int id : ids) {
            tokens.add(processor.tokenizer().idToToken(id));
        }
        return tokens;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static long[] toLongs(int[] values) {
        return Arrays.stream(values).asLongStream().toArray();
    }

    private static long[] uint8(Image image) {
        long[] out = new long[image.pixels().length];
        for (int i = 0; i < out.length; i++) {
            out[i] = image.pixels()[i] & 0xFF;
        }
        return out;
    }

    /** Largest |a − b|; also checks {@code |a − b| <= atol} elementwise. */
    private static double assertClose(float[] actual, float[] expected, double atol) {
        assertThat(actual).hasSameSizeAs(expected);
        double max = 0;
        for (int i = 0; i < actual.length; i++) {
            double diff = Math.abs((double) actual[i] - expected[i]);
            max = Math.max(max, diff);
            assertThat(diff).as("element %d: %s vs %s", i, actual[i], expected[i]).isLessThanOrEqualTo(atol);
        }
        return max;
    }

    // ------------------------------------------------------------------ chat_text

    @Test
    void chatTextIdsExact() throws IOException {
        JsonNode c = goldenCase("chat_text");
        SmolVlmProcessor.Inputs inputs = processor.applyChatTemplate(conversation(c, null, null), true);

        assertThat(inputs.prompt()).isEqualTo(c.get("prompt").asText());
        assertThat(tokens(inputs.inputIds())).isEqualTo(strings(c.get("tokens")));
        try (SafetensorsFile golden = goldenFile(c)) {
            assertThat(toLongs(inputs.inputIds())).isEqualTo(golden.readLongs("input_ids"));
            assertThat(toLongs(inputs.attentionMask())).isEqualTo(golden.readLongs("attention_mask"));
        }
        assertThat(inputs.pixels()).isNull();
    }

    // ------------------------------------------------------------------ image_prompt

    @Test
    void imagePromptMatchesExactly() throws IOException {
        JsonNode c = goldenCase("image_prompt");
        Image image = Image.read(FIXTURE.resolve(c.get("image_file").asText()));
        String prompt = processor.renderPrompt(conversation(c, image, null), true);
        assertThat(prompt).isEqualTo(c.get("prompt").asText());

        SmolVlmProcessor.Inputs inputs = processor.process(prompt, List.of(image));

        assertThat(inputs.expandedPrompt()).isEqualTo(c.get("expanded_prompt").asText());
        assertThat(tokens(inputs.inputIds())).isEqualTo(strings(c.get("tokens")));
        assertThat(inputs.pixels().rows()).containsExactly(c.get("rows").get(0).get(0).asInt());
        assertThat(inputs.pixels().cols()).containsExactly(c.get("cols").get(0).get(0).asInt());
        double atol = c.get("tolerance").get("pixel_values_atol").asDouble();
        try (SafetensorsFile golden = goldenFile(c)) {
            assertThat(uint8(image)).as("PNG decoded as PIL does").isEqualTo(golden.readLongs("image_uint8"));
            assertThat(toLongs(inputs.inputIds())).isEqualTo(golden.readLongs("input_ids"));
            assertThat(toLongs(inputs.attentionMask())).isEqualTo(golden.readLongs("attention_mask"));
            long[] shape = golden.tensor("pixel_values").shape();
            assertThat(shape[0]).isEqualTo(1);
            assertThat(inputs.pixels().shape()).isEqualTo(Arrays.copyOfRange(shape, 1, 5));
            float[] expected = golden.readFloats("pixel_values");
            double maxDiff = assertClose(inputs.pixels().pixelValues(), expected, atol);
            assertThat(maxDiff).as("pixel_values are bit-identical").isZero();
            assertThat(toLongs(inputs.pixels().pixelAttentionMask())).isEqualTo(golden.readLongs("pixel_attention_mask"));
        }
    }

    @Test
    void imageResizeTracesExact() throws IOException {
        JsonNode c = goldenCase("image_prompt");
        SmolVlmImageProcessor images = processor.imageProcessor();
        Image image = Image.read(FIXTURE.resolve(c.get("image_file").asText()));

        Image resized = images.resize(image, images.config().size());
        Image forEncoder = images.resizeForVisionEncoder(resized);
        SmolVlmImageProcessor.Split split = images.splitImage(forEncoder);
        Image global = split.frames().get(split.frames().size() - 1);

        JsonNode shapes = c.get("resize_shapes_hwc");
        assertThat(new int[] {resized.height(), resized.width()})
                .containsExactly(shapes.get(0).get(0).asInt(), shapes.get(0).get(1).asInt());
        assertThat(new int[] {forEncoder.height(), forEncoder.width()})
                .containsExactly(shapes.get(1).get(0).asInt(), shapes.get(1).get(1).asInt());
        try (SafetensorsFile golden = goldenFile(c)) {
            assertThat(uint8(resized)).isEqualTo(golden.readLongs("trace.resize_0_uint8"));
            assertThat(uint8(global)).isEqualTo(golden.readLongs("trace.resize_2_uint8"));
        }
    }

    @Test
    void imageConversationGivesTheSameInputs() throws IOException {
        JsonNode c = goldenCase("image_prompt");
        Image image = Image.read(FIXTURE.resolve(c.get("image_file").asText()));

        SmolVlmProcessor.Inputs inputs = processor.applyChatTemplate(conversation(c, image, null), true);

        assertThat(inputs.expandedPrompt()).isEqualTo(c.get("expanded_prompt").asText());
        try (SafetensorsFile golden = goldenFile(c)) {
            assertThat(toLongs(inputs.inputIds())).isEqualTo(golden.readLongs("input_ids"));
            assertThat(inputs.pixels().pixelValues()).isEqualTo(golden.readFloats("pixel_values"));
        }
    }

    // ------------------------------------------------------------------ video_prompt

    private static SmolVlmVideoSampler.Video fixtureVideo(JsonNode c) throws IOException {
        List<Image> frames = new ArrayList<>();
        int n = c.get("video_num_frames").asInt();
        for (int i = 0; i < n; i++) {
            frames.add(Image.read(FIXTURE.resolve(String.format("golden/video_frames/frame_%03d.png", i))));
        }
        return SmolVlmVideoSampler.Video.ofFrames(frames, c.get("video_fps").asDouble());
    }

    @Test
    void videoPromptMatchesExactly() throws IOException {
        JsonNode c = goldenCase("video_prompt");
        SmolVlmVideoSampler.Video video = fixtureVideo(c);
        assertThat(video.metadata().duration()).isEqualTo(c.get("video_duration_s").asDouble());

        // The case's call: [{'role':'user','content':[{'type':'video','path':VIDEO},
        //                    {'type':'text','text':'What happens in the video?'}]}]
        assertThat(c.get("call").asText()).contains("{'type':'text','text':'What happens in the video?'}");
        List<Message> conversation = List.of(Message.user(Item.video(video), Item.text("What happens in the video?")));

        SmolVlmProcessor.Inputs inputs = processor.applyChatTemplate(conversation, true);

        assertThat(inputs.videos()).hasSize(1);
        SmolVlmVideoSampler.SampledVideo sampled = inputs.videos().get(0);
        assertThat(inputs.prompt()).isEqualTo(c.get("prompt").asText());
        assertThat(inputs.expandedPrompt()).isEqualTo(c.get("expanded_prompt").asText());
        assertThat(inputs.pixels().rows()).containsOnly(0);
        double atol = c.get("tolerance").get("pixel_values_atol").asDouble();
        try (SafetensorsFile golden = goldenFile(c)) {
            assertThat(toLongs(sampled.frameIndices())).isEqualTo(golden.readLongs("frame_indices"));
            long[] sampledFrames = golden.readLongs("sampled_frames_uint8");
            int frameSize = sampledFrames.length / sampled.frames().size();
            for (int f = 0; f < sampled.frames().size(); f++) {
                assertThat(uint8(sampled.frames().get(f)))
                        .isEqualTo(Arrays.copyOfRange(sampledFrames, f * frameSize, (f + 1) * frameSize));
            }
            assertThat(toLongs(inputs.inputIds())).isEqualTo(golden.readLongs("input_ids"));
            assertThat(toLongs(inputs.attentionMask())).isEqualTo(golden.readLongs("attention_mask"));
            float[] expected = golden.readFloats("pixel_values");
            double maxDiff = assertClose(inputs.pixels().pixelValues(), expected, atol);
            assertThat(maxDiff).as("pixel_values are bit-identical").isZero();
            assertThat(toLongs(inputs.pixels().pixelAttentionMask())).isEqualTo(golden.readLongs("pixel_attention_mask"));

            SmolVlmImageProcessor images = processor.imageProcessor();
            Image frame0 = images.resize(sampled.frames().get(0), processor.videoSampler().config().videoSize());
            assertThat(uint8(frame0)).isEqualTo(golden.readLongs("trace.frame0_resize_0_uint8"));
        }
    }

    // ------------------------------------------------------------------ generate_image

    @Test
    void generatedTokensDecodeAsRecorded() throws IOException {
        JsonNode c = goldenCase("generate_image");
        try (SafetensorsFile golden = goldenFile(c); SafetensorsFile image = goldenFile(goldenCase("image_prompt"))) {
            long[] prompt = golden.readLongs("input_ids");
            assertThat(prompt).isEqualTo(image.readLongs("input_ids"));
            long[] sequence = golden.readLongs("sequences");
            int[] generated = Arrays.stream(sequence, prompt.length, sequence.length).mapToInt(v -> (int) v).toArray();
            assertThat(processor.tokenizer().decode(generated)).isEqualTo(c.get("generated_text").asText());
        }
    }
}
