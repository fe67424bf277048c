package mmgp.models.smolvlm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import mmgp.api.UnderstandOptions;
import mmgp.bindings.llama.LlamaContextParams;
import mmgp.bindings.mtmd.MtmdContextParams;
import mmgp.media.VideoWriter;
import mmgp.models.QuietLlama;
import mmgp.models.smolvlm.SmolVlmUnderstanding.Request;
import mmgp.models.smolvlm.SmolVlmUnderstanding.Result;
import mmgp.models.smolvlm.SmolVlmUnderstanding.StopReason;
import mmgp.models.smolvlm.SmolVlmUnderstanding.TokenListener;
import mmgp.safetensors.SafetensorsCheckpoint;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The understanding pipeline on the smolvlm2_processor fixture (a tiny random SmolVLM2 with the
 * real tokenizer and processor configs), converted to F32 GGUFs and run with exact numerics: the
 * processor's tiles and frames through libmtmd, the prompt and the decoding loop through libllama.
 */
class SmolVlmUnderstandingTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/smolvlm2_processor");
    static final Path IMAGE = FIXTURE.resolve("golden/image.png");
    static final String IMAGE_PROMPT = "Describe this image.";

    @TempDir
    static Path dir;

    static SmolVlmConverter.Output gguf;
    static Path video;
    static SmolVlmUnderstanding engine;
    /** The same weights with a text context of their own, for the direct greedy loop (the understanding engine's model has none). */
    static SmolVlmModel direct;

    @BeforeAll
    static void setUp() throws IOException {
        QuietLlama.require();
        gguf = SmolVlmConverter.convert(FIXTURE.resolve("checkpoint"), dir.resolve("model"), GgmlType.F32, "smolvlm2-tiny");
        video = SampleClip.write(dir.resolve("clip.mp4"), 0.2f);
        engine = SmolVlmUnderstanding.open(gguf.textModel(), gguf.mmproj(), SmolVlmProcessor.load(FIXTURE.resolve("checkpoint")), settings());
        direct = SmolVlmModel.load(gguf.textModel(), gguf.mmproj(), new SmolVlmModel.Options(256, 64, 1, 2, false));
    }

    static SmolVlmUnderstanding.Settings settings() {
        return new SmolVlmUnderstanding.Settings(1024, 512, 4, 2, true);
    }

    @AfterAll
    static void tearDown() {
        if (engine != null) engine.close();
        if (direct != null) direct.close();
    }

    static UnderstandOptions greedy(int maxNewTokens) {
        return UnderstandOptions.defaults().withMaxNewTokens(maxNewTokens);
    }

    @Test
    void imageAnswerMatchesTransformersGenerate() throws IOException {
        long[] expectedIds, expectedSequence;
        try (SafetensorsCheckpoint g = SafetensorsCheckpoint.open(FIXTURE.resolve("golden/image_prompt.safetensors"))) {
            expectedIds = g.readLongs("input_ids");
        }
        try (SafetensorsCheckpoint g = SafetensorsCheckpoint.open(FIXTURE.resolve("golden/generate_image.safetensors"))) {
            expectedSequence = g.readLongs("sequences");
        }
        SmolVlmPrompt prompt = engine.prepare(SmolVlmMedia.image(IMAGE), IMAGE_PROMPT, greedy(8), null);
        assertThat(prompt.ids()).containsExactly(ints(expectedIds));
        assertThat(prompt.imagesEncoded()).isEqualTo(7); // 2 × 3 tiles + the global image
        // generate(max_new_tokens=8, min_new_tokens=8): the end-of-utterance logit is masked throughout
        Result result = engine.understand(SmolVlmMedia.image(IMAGE), IMAGE_PROMPT, greedy(8).toBuilder().minNewTokens(8).build(), TokenListener.NONE);
        assertThat(result.tokens()).containsExactly(Arrays.copyOfRange(ints(expectedSequence), expectedIds.length, expectedSequence.length));
        assertThat(result.stopReason()).isEqualTo(StopReason.MAX_TOKENS);
        assertThat(result.stats().promptTokens()).isEqualTo(expectedIds.length);
        assertThat(result.stats().imageTokens()).isEqualTo(7 * 9);
        assertThat(result.stats().generatedTokens()).isEqualTo(8);
    }

    @Test
    void imageGreedyEqualsADirectGreedyLoop() throws IOException {
        checkAgainstDirectLoop(SmolVlmMedia.image(IMAGE), IMAGE_PROMPT, 24);
    }

    @Test
    void videoGreedyEqualsADirectGreedyLoop() throws IOException {
        SmolVlmPrompt prompt = checkAgainstDirectLoop(SmolVlmMedia.video(video), "What happens in the video?", 16);
        // round(1 fps × 3 s) = 3 frames, each announced with its timestamp
        assertThat(prompt.framesUsed()).isEqualTo(3);
        assertThat(prompt.imagesEncoded()).isEqualTo(3);
        assertThat(prompt.expandedPrompt()).startsWith("<|im_start|>User: You are provided the following series of three frames from a 0:00:03 [H:MM:SS] video.\n")
                .contains("\nFrame from 00:00:<fake_token_around_image><global-img>", "\nFrame from 00:02:")
                .endsWith("\n\nWhat happens in the video?<end_of_utterance>\nAssistant:");
    }

    @Test
    void videoPromptMatchesTheProcessorGoldenFromFramesAndFromAnMp4() throws IOException {
        long[] expectedIds;
        try (SafetensorsCheckpoint g = SafetensorsCheckpoint.open(FIXTURE.resolve("golden/video_prompt.safetensors"))) {
            expectedIds = g.readLongs("input_ids");
        }
        // the golden's video: 48 PNG frames at 4 fps (12 s): 4 frames sampled, skipping the first and last second
        List<SmolVlmImageProcessor.Image> frames = new ArrayList<>();
        float[] rgb = new float[48 * 32 * 48 * 3];
        for (int i = 0; i < 48; i++) {
            SmolVlmImageProcessor.Image frame = SmolVlmImageProcessor.Image.read(FIXTURE.resolve(String.format("golden/video_frames/frame_%03d.png", i)));
            frames.add(frame);
            for (int p = 0; p < frame.pixels().length; p++) rgb[i * frame.pixels().length + p] = (frame.pixels()[p] & 0xFF) / 255f;
        }
        String question = "What happens in the video?";
        SmolVlmPrompt fromFrames = engine.prepare(SmolVlmMedia.video(SmolVlmVideoSampler.Video.ofFrames(frames, 4.0)), question, greedy(4), null);
        assertThat(fromFrames.ids()).containsExactly(ints(expectedIds));
        assertThat(fromFrames.framesUsed()).isEqualTo(4);
        // the same frames as an MP4: the reader's metadata (48 frames, 4 fps) gives the same prompt
        Path mp4 = dir.resolve("golden-frames.mp4");
        VideoWriter.writeMp4(mp4, rgb, 48, 32, 48, 4.0);
        SmolVlmPrompt fromMp4 = engine.prepare(SmolVlmMedia.video(mp4), question, greedy(4), null);
        assertThat(fromMp4.ids()).containsExactly(ints(expectedIds));
    }

    /** understand() against SmolVlmModel.generateGreedy on the same prompt ids and image features, up to the first stop token. */
    static SmolVlmPrompt checkAgainstDirectLoop(SmolVlmMedia media, String text, int maxNewTokens) throws IOException {
        SmolVlmPrompt prompt = engine.prepare(media, text, greedy(maxNewTokens), null);
        Result result = engine.understand(media, text, greedy(maxNewTokens), TokenListener.NONE);
        SmolVlmModel.Generation greedy = direct.generateGreedy(prompt.ids(), prompt.imageFeatures(), maxNewTokens, 0);
        int[] directTokens = Arrays.copyOfRange(greedy.sequence(), prompt.ids().length, greedy.sequence().length);
        int stopAt = result.stopReason() == StopReason.END_OF_UTTERANCE ? result.tokens().length : maxNewTokens;
        assertThat(result.tokens()).hasSize(stopAt);
        assertThat(result.tokens()).containsExactly(Arrays.copyOf(directTokens, Math.min(stopAt, directTokens.length)));
        assertThat(result.stats().framesUsed()).isEqualTo(prompt.framesUsed());
        return prompt;
    }

    @Test
    void streamedPiecesConcatenateToTheText() throws IOException {
        for (UnderstandOptions options : List.of(greedy(32), greedy(32).toBuilder().temperature(1.5f).seed(7).build())) {
            StringBuilder streamed = new StringBuilder();
            List<String> pieces = new ArrayList<>();
            Result result = engine.understand(SmolVlmMedia.image(IMAGE), IMAGE_PROMPT, options, piece -> {
                pieces.add(piece);
                streamed.append(piece);
            });
            assertThat(pieces).allSatisfy(p -> assertThat(p).isNotEmpty());
            assertThat(streamed.toString()).isEqualTo(result.text());
            assertThat(result.text()).isNotEmpty();
        }
    }

    @Test
    void samplingIsReproducibleBySeed() throws IOException {
        UnderstandOptions options = greedy(16).toBuilder().temperature(0.9f).topK(20).topP(0.95f).minP(0.02f).repetitionPenalty(1.1f).seed(42).build();
        Result a = engine.understand(SmolVlmMedia.image(IMAGE), IMAGE_PROMPT, options, TokenListener.NONE);
        Result b = engine.understand(SmolVlmMedia.image(IMAGE), IMAGE_PROMPT, options, TokenListener.NONE);
        assertThat(a.tokens()).containsExactly(b.tokens());
    }

    @Test
    void cancellationStopsEarly() throws IOException {
        AtomicInteger steps = new AtomicInteger();
        TokenListener stopAfterThree = new TokenListener() {
            @Override
            public void token(String piece) { }

            @Override
            public void step(String stage, int done, int total, double seconds) {
                if (stage.equals("generate")) steps.incrementAndGet();
            }

            @Override
            public boolean cancelled() {
                return steps.get() >= 3;
            }
        };
        Result result = engine.understand(SmolVlmMedia.image(IMAGE), IMAGE_PROMPT, greedy(32).toBuilder().minNewTokens(32).build(), stopAfterThree);
        assertThat(result.stopReason()).isEqualTo(StopReason.CANCELLED);
        assertThat(result.tokens()).hasSize(3);

        TokenListener cancelledFromTheStart = new TokenListener() {
            @Override
            public void token(String piece) { }

            @Override
            public boolean cancelled() {
                return true;
            }
        };
        Result none = engine.understand(SmolVlmMedia.image(IMAGE), IMAGE_PROMPT, greedy(32), cancelledFromTheStart);
        assertThat(none.stopReason()).isEqualTo(StopReason.CANCELLED);
        assertThat(none.tokens()).isEmpty();
        assertThat(none.text()).isEmpty();
    }

    @Test
    void beamWidthOneIsGreedy() throws IOException {
        for (SmolVlmMedia media : List.of(SmolVlmMedia.image(IMAGE), SmolVlmMedia.video(video))) {
            Result greedyResult = engine.understand(media, "What is it?", greedy(20), TokenListener.NONE);
            Result beam = engine.understand(media, "What is it?", greedy(20).toBuilder().beams(1).build(), TokenListener.NONE);
            assertThat(beam.tokens()).containsExactly(greedyResult.tokens());
            assertThat(beam.text()).isEqualTo(greedyResult.text());
        }
    }

    @Test
    void wideBeamSearchIsDeterministicAndStreamsItsText() throws IOException {
        StringBuilder streamed = new StringBuilder();
        Result beam = engine.understand(SmolVlmMedia.image(IMAGE), IMAGE_PROMPT, greedy(12).toBuilder().beams(3).build(), streamed::append);
        assertThat(beam.tokens()).isNotEmpty();
        assertThat(streamed.toString()).isEqualTo(beam.text());
        Result again = engine.understand(SmolVlmMedia.image(IMAGE), IMAGE_PROMPT, greedy(12).toBuilder().beams(3).build(), TokenListener.NONE);
        assertThat(again.tokens()).containsExactly(beam.tokens());
    }

    @Test
    void batchedRequestsEqualOneAtATime() throws IOException {
        List<Request> requests = List.of(
                new Request(SmolVlmMedia.image(IMAGE), IMAGE_PROMPT, greedy(20)),
                new Request(SmolVlmMedia.video(video), "What happens in the video?", greedy(14)),
                new Request(SmolVlmMedia.none(), "What is the capital of France?", greedy(9)),
                new Request(SmolVlmMedia.image(IMAGE), "What colour is it?", greedy(10).toBuilder().beams(2).build()),
                // more requests than sequence ids: these wait for finished ones to free theirs
                new Request(SmolVlmMedia.image(IMAGE), "Count the objects.", greedy(6)),
                new Request(SmolVlmMedia.video(video), "Describe the motion.", greedy(17)));
        List<Result> sequential = new ArrayList<>();
        for (Request r : requests) sequential.add(engine.understandAll(List.of(r)).get(0));
        List<Result> batched = engine.understandAll(requests);
        assertThat(batched).hasSameSizeAs(requests);
        for (int i = 0; i < requests.size(); i++) {
            assertThat(batched.get(i).tokens()).as("request %d", i).containsExactly(sequential.get(i).tokens());
            assertThat(batched.get(i).text()).as("request %d", i).isEqualTo(sequential.get(i).text());
            assertThat(batched.get(i).stopReason()).as("request %d", i).isEqualTo(sequential.get(i).stopReason());
        }
    }

    @Test
    void modelFromTheGgufsAloneTokenizesLikeTheProcessor() throws IOException {
        long[] expectedIds;
        try (SafetensorsCheckpoint g = SafetensorsCheckpoint.open(FIXTURE.resolve("golden/image_prompt.safetensors"))) {
            expectedIds = g.readLongs("input_ids");
        }
        // the converted folder has no Hugging Face files: processor from the GGUFs, prompts tokenized by llama.cpp
        try (SmolVlmUnderstanding fromGguf = SmolVlmUnderstanding.open(dir.resolve("model"), null, settings().withMaxSequences(1))) {
            SmolVlmPrompt prompt = fromGguf.prepare(SmolVlmMedia.image(IMAGE), IMAGE_PROMPT, greedy(8), null);
            assertThat(prompt.ids()).containsExactly(ints(expectedIds));
            Result result = fromGguf.understand(SmolVlmMedia.image(IMAGE), IMAGE_PROMPT, greedy(10), TokenListener.NONE);
            Result reference = engine.understand(SmolVlmMedia.image(IMAGE), IMAGE_PROMPT, greedy(10), TokenListener.NONE);
            assertThat(result.tokens()).containsExactly(reference.tokens());
        }
    }

    @Test
    void clearErrors() {
        assertThatThrownBy(() -> SmolVlmUnderstanding.open(dir.resolve("nowhere"), null, settings()))
                .isInstanceOf(IOException.class).hasMessageContaining("no SmolVLM model at").hasMessageContaining("mmgp convert");
        assertThatThrownBy(() -> engine.understand(SmolVlmMedia.image(dir.resolve("missing.png")), "?", greedy(4), TokenListener.NONE))
                .isInstanceOf(IOException.class).hasMessageContaining("no such media file");
        assertThatThrownBy(() -> engine.understand(SmolVlmMedia.video(dir.resolve("missing.mp4")), "?", greedy(4), TokenListener.NONE))
                .isInstanceOf(IOException.class).hasMessageContaining("no such media file");
        assertThatThrownBy(() -> engine.understand(SmolVlmMedia.image(IMAGE), "?", greedy(4).toBuilder().beams(5).build(), TokenListener.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sequence ids");
        assertThatThrownBy(() -> engine.understand(SmolVlmMedia.image(IMAGE), "?", greedy(2000), TokenListener.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("KV cells");
    }

    @Test
    void encodePixelsReusesItsChunkWithoutCarryingAnImageOver() {
        int n = 3 * direct.imageSize() * direct.imageSize();
        float[] a = pixels(n, 1), b = pixels(n, 2);
        float[] first = direct.encodePixels(a);
        float[] other = direct.encodePixels(b);
        float[] again = direct.encodePixels(a);
        assertThat(again).containsExactly(first);
        assertThat(other).hasSameSizeAs(first).isNotEqualTo(first);
        // an image read in place from a batch of two gives the features of the image alone
        float[] batch = Arrays.copyOf(b, 2 * n);
        System.arraycopy(a, 0, batch, n, n);
        assertThat(direct.encodePixels(batch, n)).containsExactly(first);
        assertThat(direct.encodePixels(batch, 0)).containsExactly(other);
        assertThatThrownBy(() -> direct.encodePixels(batch, n + 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pixels at offset " + (n + 1));
    }

    @Test
    void aProcessorWhoseTilesAreNotTheEncodersSizeIsRefusedAtOpen() throws IOException {
        Path checkpoint = FIXTURE.resolve("checkpoint");
        Path other = Files.createDirectories(dir.resolve("processor-64"));
        try (var files = Files.list(checkpoint)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".json") || f.getFileName().toString().endsWith(".txt")).toList()) {
                Files.copy(f, other.resolve(f.getFileName()));
            }
        }
        Path config = other.resolve("preprocessor_config.json");
        String json = Files.readString(config);
        String changed = json.replaceFirst("(\"max_image_size\"\\s*:\\s*\\{\\s*\"longest_edge\"\\s*:\\s*)96", "$1" + "64");
        assertThat(changed).isNotEqualTo(json);
        Files.writeString(config, changed);
        SmolVlmProcessor processor = SmolVlmProcessor.load(other);
        assertThat(processor.imageProcessor().config().maxImageSize()).isEqualTo(64);
        assertThatThrownBy(() -> SmolVlmUnderstanding.open(gguf.textModel(), gguf.mmproj(), processor, settings()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("max_image_size 64").hasMessageContaining("image_size 96");
    }

    @Test
    void visionParamsAreTheCliOnes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fast = SmolVlmModel.visionParams(arena, new SmolVlmModel.Options(0, 0, 1, 3, true));
            assertThat(MtmdContextParams.warmup(fast)).as("compute buffers reserved at load, as llama-mtmd-cli does").isTrue();
            assertThat(MtmdContextParams.useGpu(fast)).isFalse();
            assertThat(MtmdContextParams.nThreads(fast)).isEqualTo(3);
            assertThat(MtmdContextParams.flashAttnType(fast)).isEqualTo(LlamaContextParams.FLASH_ATTN_ENABLED);
            MemorySegment exact = SmolVlmModel.visionParams(arena, new SmolVlmModel.Options(0, 0, 1, 2, false));
            assertThat(MtmdContextParams.flashAttnType(exact)).isEqualTo(LlamaContextParams.FLASH_ATTN_DISABLED);
            assertThat(MtmdContextParams.warmup(exact)).isTrue();
        }
    }

    /** Pseudo-random normalized pixels in [-1, 1). */
    static float[] pixels(int n, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] p = new float[n];
        for (int i = 0; i < n; i++) p[i] = r.nextFloat() * 2 - 1;
        return p;
    }

    static int[] ints(long[] values) {
        return Arrays.stream(values).mapToInt(v -> (int) v).toArray();
    }
}
