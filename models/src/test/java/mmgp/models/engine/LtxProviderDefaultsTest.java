package mmgp.models.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import mmgp.api.Task;
import mmgp.api.VideoOptions;
import mmgp.api.VideoRequest;
import mmgp.bindings.NativeLibraries;
import mmgp.registry.ModelCatalog;
import mmgp.registry.ModelDefaults;
import mmgp.registry.ModelManifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's video provider uses the installed model's recommended defaults (its manifest) when a
 * request leaves steps/guidance to the model, and the request's values when it gives them. The tiny
 * fixture folder is copied into a temp registry folder with a manifest (entry ".") around it.
 */
class LtxProviderDefaultsTest {
    static final Path CHECKPOINT = Path.of("src/test/resources/fixtures/ltx_video/checkpoint");

    @TempDir
    Path tmp;

    Path installed(String name, ModelDefaults d) throws Exception {
        Path folder = tmp.resolve(name);
        try (Stream<Path> s = Files.walk(CHECKPOINT)) {
            for (Path p : s.toList()) {
                Path to = folder.resolve(CHECKPOINT.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(to);
                else Files.copy(p, to);
            }
        }
        new ModelManifest(name, Task.VIDEO, "ltx", ".", "f32", Instant.parse("2026-12-01T00:00:00Z"),
                new ModelManifest.Source("Lightricks/LTX-Video", "0".repeat(40), List.of()), List.of(), d).write(folder.resolve(ModelManifest.FILE_NAME));
        return folder;
    }

    static LtxBatchModel open(Path model) throws Exception {
        return (LtxBatchModel) new LtxProvider().open(model, 2, mmgp.graph.Numerics.FAST);
    }

    /**
     * The engine takes a one-file checkpoint with a text encoder source as the CLI does
     * ({@code Engine.Builder.model(task, file, source)}, {@code serve --video-text-encoder}); a
     * distilled single file's header gives its defaults there too, and the video is the one of the
     * GGUF converted from it.
     */
    @Test
    void aSingleFileWithACompanionServesLikeItsConvertedGguf() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        Path folder = Path.of("src/test/resources/fixtures/ltx_video_095/checkpoint");
        var extra = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        extra.putArray("allowed_inference_steps").add(1.0).add(0.9937).add(0.9875).add(0.9812).add(0.975).add(0.9094).add(0.725).add(0.4219);
        Path single = mmgp.models.ltx.LtxSingleFileTest.singleFileOf(folder, mmgp.models.ltx.LtxSingleFile.VaeLayout.V095,
                tmp.resolve("ltxv-2b-distilled.safetensors"), extra);
        Path converted = tmp.resolve("converted.gguf");
        assertThat(mmgp.models.CliRun.of("convert", "--model", "ltx", single.toString(), converted.toString(), "--text-encoder", folder.toString(),
                "--type", "f32", "-q").code()).isZero();
        LtxProvider provider = new LtxProvider();
        assertThat(provider.canOpen(single)).as("a single file is an LTX-Video model").isTrue();
        assertThat(new mmgp.models.engine.AmusedProvider().canOpen(single)).isFalse();
        try (LtxBatchModel m = (LtxBatchModel) provider.open(single, folder, 2, mmgp.graph.Numerics.FAST)) {
            assertThat(m.defaults()).isEqualTo(ModelCatalog.DISTILLED_DEFAULTS);
        }
        VideoRequest request = new VideoRequest("a red car", VideoOptions.defaults().withSize(9, 64, 64).withSeed(5));
        mmgp.api.VideoResult a, b;
        try (mmgp.engine.Engine engine = mmgp.engine.Engine.builder().model(Task.VIDEO, single, folder).threads(2).build()) {
            a = engine.generateVideo(request, null).result().get();
        }
        try (mmgp.engine.Engine engine = mmgp.engine.Engine.builder().model(Task.VIDEO, converted).threads(2).build()) {
            b = engine.generateVideo(request, null).result().get();
        }
        assertThat(a.rgb()).containsExactly(b.rgb());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new mmgp.models.engine.AmusedProvider().open(single, folder, 1, mmgp.graph.Numerics.FAST))
                .hasMessageContaining("take no companion source");
    }

    @Test
    void requestsWithoutStepsOrGuidanceGetTheModelsDefaults() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        ModelDefaults distilled = ModelCatalog.byName("ltx-video-2b-0.9.8-distilled").defaults();
        try (LtxBatchModel m = open(installed("ltx-video-2b-0.9.8-distilled", distilled))) {
            assertThat(m.defaults()).isEqualTo(distilled);
            VideoOptions o = m.resolved(VideoOptions.defaults());
            assertThat(o.timesteps()).isEqualTo(VideoOptions.DISTILLED_TIMESTEPS);
            assertThat(o.steps()).isEqualTo(7);
            assertThat(o.guidanceScale()).isEqualTo(1f);
            assertThat(o.decodeTimestep()).isEqualTo(0.05f);

            VideoOptions explicit = m.resolved(VideoOptions.defaults().withSteps(3).withGuidance(2.5f));
            assertThat(explicit.steps()).isEqualTo(3);
            assertThat(explicit.timesteps()).isEmpty();
            assertThat(explicit.guidanceScale()).isEqualTo(2.5f);

            // "the model's default" and a linspace of the same length are different runs.
            VideoOptions small = VideoOptions.defaults().withSize(9, 64, 32);
            assertThat(m.batchKey(new VideoRequest("a", small))).isEqualTo(m.batchKey(new VideoRequest("b", small.withSeed(3))));
            assertThat(m.batchKey(new VideoRequest("a", small))).isNotEqualTo(m.batchKey(new VideoRequest("a", small.withSteps(7))));
            assertThat(m.batchKey(new VideoRequest("a", small))).isEqualTo(m.batchKey(new VideoRequest("a", small.withGuidance(1f))));
        }
    }

    /**
     * Decode settings: neither given, the model's pair; a timestep alone takes itself as noise
     * scale (diffusers' decode_noise_scale=None), not the model's noise scale; a noise scale
     * alone goes with the model's timestep.
     */
    @Test
    void decodeSettingsLeftOpenComeFromTheModel() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        ModelDefaults d = new ModelDefaults(null, null, null, 0.05f, 0.025f, false);
        VideoOptions v = VideoOptions.defaults();
        try (LtxBatchModel m = open(installed("ltx-video-0.9.1", d))) {
            assertDecode(m.resolved(v), 0.05f, 0.025f);
            assertDecode(m.resolved(v.withDecode(0.2f, VideoOptions.MODEL_DECODE)), 0.2f, 0.2f);
            assertDecode(m.resolved(v.withDecode(VideoOptions.MODEL_DECODE, 0.3f)), 0.05f, 0.3f);
            assertDecode(m.resolved(v.withDecode(0f, 1f)), 0f, 1f);
        }
        try (LtxBatchModel m = open(CHECKPOINT)) { // no recommendation: the built-in 0.05
            assertDecode(m.resolved(v), 0.05f, 0.05f);
            assertDecode(m.resolved(v.withDecode(VideoOptions.MODEL_DECODE, 0.3f)), 0.05f, 0.3f);
        }
    }

    /**
     * An embedding application calling the pipeline directly on an installed distilled model gets
     * what the engine runs: its 7 timesteps without guidance and its decode pair, not the built-in
     * 8 steps under guidance 3.
     */
    @Test
    void aDirectPipelineCallRunsTheModelsOwnDefaults() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        ModelDefaults distilled = ModelCatalog.byName("ltx-video-2b-0.9.8-distilled").defaults();
        Path folder = installed("ltx-video-2b-0.9.8-distilled", distilled);
        VideoOptions open = VideoOptions.defaults().toBuilder().size(9, 64, 32).maxSequenceLength(16).seed(5).build();
        VideoOptions model = mmgp.models.ltx.LtxDefaults.resolve(open, distilled);
        assertThat(model).as("the model's defaults are not the built-in ones").isNotEqualTo(mmgp.models.ltx.LtxDefaults.resolve(open, ModelDefaults.NONE));
        try (mmgp.graph.ComputeBackend backend = mmgp.graph.ComputeBackend.cpu(2); mmgp.models.ltx.LtxModel m = mmgp.models.ltx.LtxModel.open(folder, backend)) {
            assertThat(m.defaults()).isEqualTo(distilled);
            var direct = mmgp.models.ltx.LtxPipeline.generate(m, backend, List.of("a red car"), open, mmgp.api.ProgressListener.NONE);
            var explicit = mmgp.models.ltx.LtxPipeline.generate(m, backend, List.of("a red car"), model, mmgp.api.ProgressListener.NONE);
            assertThat(direct.pixels()).containsExactly(explicit.pixels());
        }
        try (LtxBatchModel engine = open(folder)) {
            assertThat(engine.resolved(open).withVaeMemory(0)).as("the engine resolves alike").isEqualTo(model);
        }
    }

    private static void assertDecode(VideoOptions o, float timestep, float noiseScale) {
        assertThat(o.decodeTimestep()).isEqualTo(timestep);
        assertThat(o.decodeNoiseScale()).isEqualTo(noiseScale);
    }

    @Test
    void aModelWithoutDefaultsRunsEightStepsUnderGuidanceThree() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        try (LtxBatchModel m = open(installed("ltx-video", ModelDefaults.NONE))) {
            VideoOptions o = m.resolved(VideoOptions.defaults());
            assertThat(o.steps()).isEqualTo(VideoOptions.FALLBACK_STEPS);
            assertThat(o.guidanceScale()).isEqualTo(VideoOptions.FALLBACK_GUIDANCE);
            assertThat(o.timesteps()).isEmpty();
        }
        try (LtxBatchModel m = open(CHECKPOINT)) {
            assertThat(m.defaults()).as("a plain folder, no manifest").isEqualTo(ModelDefaults.NONE);
        }
    }
}
