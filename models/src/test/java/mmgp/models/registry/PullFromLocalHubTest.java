package mmgp.models.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import mmgp.registry.FakeHub;
import java.util.Arrays;
import mmgp.api.Task;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.llama.LlamaLog;
import mmgp.bindings.mtmd.Mtmd;
import mmgp.check.CaseResult;
import mmgp.check.FixtureCases;
import mmgp.cli.Main;
import mmgp.graph.ComputeBackend;
import mmgp.models.amused.AmusedFixtureRunner;
import mmgp.models.amused.AmusedModel;
import mmgp.models.smolvlm.SmolVlmMedia;
import mmgp.models.smolvlm.SmolVlmUnderstanding;
import mmgp.models.smolvlm.SmolVlmUnderstanding.Options;
import mmgp.models.smolvlm.SmolVlmUnderstanding.TokenListener;
import mmgp.registry.InstalledModel;
import mmgp.registry.ModelManifest;
import mmgp.registry.ModelRegistry;
import mmgp.safetensors.SafetensorsCheckpoint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mmgp pull} end to end: the tiny fixtures served by a loopback hub under the real
 * repository names, pulled through the CLI (download with a dropped connection, verify, convert,
 * install), then loaded from the registry and checked against the fixtures' goldens.
 */
class PullFromLocalHubTest {
    static final Path AMUSED = Path.of("src/test/resources/fixtures/amused");
    static final Path SMOLVLM = Path.of("src/test/resources/fixtures/smolvlm2_processor");

    @TempDir
    Path models;

    @BeforeAll
    static void libs() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
    }

    @Test
    void pulledAmusedReproducesTheGoldens() throws Exception {
        try (FakeHub hub = new FakeHub(AMUSED.resolve("checkpoint"), "amused/amused-256")) {
            hub.dropConnectionOnce("transformer/diffusion_pytorch_model.safetensors", 300_000);
            int code = Main.run("pull", "amused-256", "--endpoint", hub.endpoint(), "--models", models.toString(), "--type", "f32", "-q");
            assertThat(code).isZero();
            var resolves = hub.requestsFor("transformer/diffusion_pytorch_model.safetensors");
            assertThat(resolves).as("the first transfer dropped, the second resumed").hasSize(2);
            assertThat(resolves.get(1).range()).matches("bytes=[1-9]\\d*-");
        }
        ModelRegistry registry = new ModelRegistry(models);
        InstalledModel installed = registry.installed(Task.IMAGE).orElseThrow();
        assertThat(installed.name()).isEqualTo("amused-256");
        assertThat(installed.entryPoint()).isEqualTo(models.resolve("amused-256/amused-256.gguf"));
        assertThat(installed.manifest().source().repo()).isEqualTo("amused/amused-256");

        FixtureCases fixture = FixtureCases.load(AMUSED);
        AmusedFixtureRunner runner = new AmusedFixtureRunner();
        int ran = 0;
        try (ComputeBackend backend = ComputeBackend.cpu(2); AmusedModel model = AmusedModel.open(installed.entryPoint(), backend)) {
            for (FixtureCases.Case c : fixture.cases()) {
                if (!c.name().startsWith("e2e")) continue;
                CaseResult r = runner.runWith(model, fixture, c, backend);
                assertThat(r.passed()).as(c.name() + " " + r.comparisons()).isTrue();
                ran++;
            }
        }
        assertThat(ran).isPositive();

        assertThat(Main.run("models", "verify", "amused-256", "--models", models.toString())).isZero();
        byte[] b = Files.readAllBytes(installed.entryPoint());
        b[b.length - 100] ^= 1;
        Files.write(installed.entryPoint(), b);
        assertThat(Main.run("models", "verify", "--models", models.toString(), "amused-256")).as("a flipped byte is found").isEqualTo(1);
    }

    @Test
    void pulledSmolVlmAnswersLikeTheGolden() throws Exception {
        try (FakeHub hub = new FakeHub(SMOLVLM.resolve("checkpoint"), "HuggingFaceTB/SmolVLM2-256M-Video-Instruct")) {
            int code = Main.run("pull", "smolvlm2-256m", "--endpoint", hub.endpoint(), "--models", models.toString(), "--type", "f32", "-q");
            assertThat(code).isZero();
        }
        InstalledModel installed = new ModelRegistry(models).installed(Task.UNDERSTAND).orElseThrow();
        assertThat(installed.entryPoint()).as("SmolVLM2 is a folder: text GGUF + mmproj").isEqualTo(models.resolve("smolvlm2-256m"));
        assertThat(installed.manifest().files()).extracting(ModelManifest.InstalledFile::path)
                .contains("smolvlm2-256m-F32.gguf", "mmproj-smolvlm2-256m-F32.gguf", "vocab.json", "preprocessor_config.json");
        assertThat(installed.manifest().files()).extracting(ModelManifest.InstalledFile::type).contains("weights", "projector", "processor");

        long[] ids, sequence;
        Path golden = SMOLVLM.resolve("golden");
        try (SafetensorsCheckpoint g = SafetensorsCheckpoint.open(golden.resolve("image_prompt.safetensors"))) {
            ids = g.readLongs("input_ids");
        }
        try (SafetensorsCheckpoint g = SafetensorsCheckpoint.open(golden.resolve("generate_image.safetensors"))) {
            sequence = g.readLongs("sequences");
        }
        LlamaLog.silence();
        Mtmd.helperLogSet(LlamaLog.callback(), MemorySegment.NULL);
        try (SmolVlmUnderstanding vlm = SmolVlmUnderstanding.open(installed.entryPoint(), null, new SmolVlmUnderstanding.Settings(1024, 512, 4, 2, true))) {
            var result = vlm.understand(SmolVlmMedia.image(golden.resolve("image.png")), "Describe this image.",
                    Options.defaults().withMaxNewTokens(8).withMinNewTokens(8), TokenListener.NONE);
            int[] expected = Arrays.stream(Arrays.copyOfRange(sequence, ids.length, sequence.length)).mapToInt(v -> (int) v).toArray();
            assertThat(result.tokens()).containsExactly(expected);
        }
    }
}
