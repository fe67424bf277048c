package mmgp.models.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import mmgp.registry.FakeHub;
import java.util.Arrays;
import java.util.List;
import mmgp.models.CliRun;
import mmgp.models.ltx.LtxDefaults;
import mmgp.models.ltx.LtxModel;
import mmgp.models.ltx.LtxPipeline;
import mmgp.registry.ModelCatalog;
import mmgp.registry.ModelDefaults;
import mmgp.api.Task;
import mmgp.api.UnderstandOptions;
import mmgp.api.VideoOptions;
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
    static final Path LTX_095 = Path.of("src/test/resources/fixtures/ltx_video_095");

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

    /**
     * The distilled catalog entry: the single file from Lightricks/LTX-Video, the T5 encoder,
     * tokenizer and scheduler from Lightricks/LTX-Video-0.9.5 (only those: its transformer and VAE
     * stay on the hub), converted with the entry's defaults. The installed model gives the video of
     * the fixture's diffusers folder under the same settings, and a second pull takes the shared
     * files from disk.
     */
    @Test
    void pulledDistilledSingleFileRunsLikeTheFolderAndSharesItsTextEncoder(@TempDir Path tmp) throws Exception {
        Path folder = LTX_095.resolve("checkpoint");
        Path repo = java.nio.file.Files.createDirectories(tmp.resolve("LTX-Video"));
        mmgp.models.ltx.LtxSingleFileTest.singleFileOf(folder, mmgp.models.ltx.LtxSingleFile.VaeLayout.V095,
                repo.resolve(ModelCatalog.DISTILLED_2B_098_FILE));
        Files.write(repo.resolve("ltxv-13b-0.9.8-distilled.safetensors"), new byte[64]); // another release: not downloaded
        Files.writeString(repo.resolve("README.md"), "# LTX-Video");
        String sharedCommit;
        String movedShared;
        try (FakeHub hub = new FakeHub(repo, "Lightricks/LTX-Video")) {
            sharedCommit = hub.alsoServe(folder, "Lightricks/LTX-Video-0.9.5");
            CliRun pull = CliRun.of("pull", "ltx-video-2b-0.9.8-distilled", "--endpoint", hub.endpoint(), "--models", models.toString(), "--type", "f32", "-q");
            assertThat(pull.code()).as(pull.err()).isZero();
            assertThat(pull.out()).contains("installed ltx-video-2b-0.9.8-distilled", "is now the default video model");
            assertThat(hub.requestsFor("text_encoder/config.json")).hasSize(1);
            assertThat(hub.requestsFor("scheduler/scheduler_config.json")).hasSize(1);
            assertThat(hub.requestsFor("tokenizer/spiece.model")).isNotEmpty();
            assertThat(hub.requestsFor("").stream().map(FakeHub.Request::path))
                    .noneMatch(p -> p.contains("/resolve/") && (p.contains("transformer/") || p.contains("vae/") || p.contains("13b") || p.contains("README")));

            // again (--force): the single file is fetched anew (its download was deleted), the shared files are on disk
            int before = hub.requestsFor("text_encoder/config.json").size();
            int singleBefore = hub.requestsFor(ModelCatalog.DISTILLED_2B_098_FILE).size();
            CliRun forced = CliRun.of("pull", "ltx-video-2b-0.9.8-distilled", "--endpoint", hub.endpoint(), "--models", models.toString(),
                    "--type", "f32", "--force", "-q");
            assertThat(forced.code()).as(forced.err()).isZero();
            assertThat(forced.out()).as("it already was the default").contains("installed ltx-video-2b-0.9.8-distilled").doesNotContain("now the default");
            assertThat(hub.requestsFor("text_encoder/config.json")).as("shared files are downloaded once").hasSize(before);
            assertThat(hub.requestsFor(ModelCatalog.DISTILLED_2B_098_FILE).size()).isGreaterThan(singleBefore);
            CliRun again = CliRun.of("pull", "ltx-video-2b-0.9.8-distilled", "--endpoint", hub.endpoint(), "--models", models.toString(), "--type", "f32", "-q");
            assertThat(again.out()).as("same commits of both repositories, same type").contains("is up to date");

            // Both repositories move without touching the files the model needs: still up to date, nothing downloaded.
            hub.commit("Lightricks/LTX-Video", "README.md", "# LTX-Video, reworded".getBytes());
            movedShared = hub.commit("Lightricks/LTX-Video-0.9.5", "README.md", "# moved".getBytes());
            int singleNow = hub.requestsFor(ModelCatalog.DISTILLED_2B_098_FILE).size();
            CliRun moved = CliRun.of("pull", "ltx-video-2b-0.9.8-distilled", "--endpoint", hub.endpoint(), "--models", models.toString(), "--type", "f32", "-q");
            assertThat(moved.out()).as("same sha256 of every source file").contains("is up to date");
            assertThat(hub.requestsFor(ModelCatalog.DISTILLED_2B_098_FILE)).hasSize(singleNow);
            // --force: the shared folder of the old commit becomes the new commit's, not a second copy
            assertThat(Main.run("pull", "ltx-video-2b-0.9.8-distilled", "--endpoint", hub.endpoint(), "--models", models.toString(),
                    "--type", "f32", "--force", "-q")).isZero();
            assertThat(hub.requestsFor("text_encoder/config.json")).hasSize(before);
            assertThat(models.resolve(".downloads/Lightricks/LTX-Video-0.9.5").resolve(sharedCommit)).as("superseded").doesNotExist();

            // 0.9.5 itself without --keep-download: its download folder is the distilled model's shared folder
            CliRun v095 = CliRun.of("pull", "ltx-video-0.9.5", "--endpoint", hub.endpoint(), "--models", models.toString(), "--type", "f32", "-q");
            assertThat(v095.code()).as(v095.err()).isZero();
            assertThat(v095.out()).doesNotContain("now the default");
            Path sharedNow = models.resolve(".downloads/Lightricks/LTX-Video-0.9.5").resolve(movedShared);
            assertThat(sharedNow.resolve("text_encoder/config.json")).as("still the distilled model's").exists();
            assertThat(sharedNow.resolve("tokenizer/spiece.model")).exists();
            assertThat(sharedNow.resolve("transformer")).as("0.9.5's own files are deleted").doesNotExist();
            assertThat(sharedNow.resolve("vae")).doesNotExist();
        }
        ModelRegistry registry = new ModelRegistry(models);
        InstalledModel installed = registry.installed(Task.VIDEO).orElseThrow();
        assertThat(installed.name()).isEqualTo("ltx-video-2b-0.9.8-distilled");
        assertThat(installed.manifest().family()).isEqualTo("ltx");
        assertThat(installed.manifest().defaults()).isEqualTo(ModelCatalog.DISTILLED_DEFAULTS);
        assertThat(installed.manifest().source().files()).extracting(ModelManifest.SourceFile::path).containsExactly(ModelCatalog.DISTILLED_2B_098_FILE);
        assertThat(installed.manifest().shared()).singleElement().satisfies(src -> {
            assertThat(src.repo()).isEqualTo("Lightricks/LTX-Video-0.9.5");
            assertThat(src.revision()).isEqualTo(movedShared);
            assertThat(src.files()).extracting(ModelManifest.SourceFile::path).contains("text_encoder/config.json", "tokenizer/spiece.model",
                    "scheduler/scheduler_config.json").noneMatch(f -> f.startsWith("transformer/") || f.startsWith("vae/"));
        });
        assertThat(models.resolve(".downloads/Lightricks/LTX-Video-0.9.5").resolve(movedShared).resolve("text_encoder/config.json"))
                .as("the shared files stay for the next model").exists();
        assertThat(models.resolve(".downloads/Lightricks/LTX-Video")).as("the model's own download is deleted").doesNotExist();
        assertThat(registry.verify(installed.name()).ok()).isTrue();

        ModelDefaults defaults = ModelDefaults.forModel(installed.entryPoint());
        assertThat(defaults).as("manifest and GGUF agree").isEqualTo(ModelCatalog.DISTILLED_DEFAULTS);
        try (mmgp.gguf.GgufFile gguf = mmgp.gguf.GgufFile.open(installed.entryPoint())) {
            assertThat(ModelDefaults.read(gguf.metadata())).isEqualTo(ModelCatalog.DISTILLED_DEFAULTS);
        }
        VideoOptions o = LtxDefaults.resolve(VideoOptions.defaults().toBuilder().size(9, 64, 64).maxSequenceLength(32).seed(5).build(), defaults);
        assertThat(o.guidanceScale()).as("distilled: no CFG").isEqualTo(1f);
        try (ComputeBackend backend = ComputeBackend.cpu(2); LtxModel pulled = LtxModel.open(installed.entryPoint(), backend);
             LtxModel fromFolder = LtxModel.open(folder, backend)) {
            var a = LtxPipeline.generate(pulled, backend, List.of("a red car"), o, mmgp.api.ProgressListener.NONE);
            var b = LtxPipeline.generate(fromFolder, backend, List.of("a red car"), o, mmgp.api.ProgressListener.NONE);
            assertThat(a.latents()).as("final latents").containsExactly(b.latents());
            assertThat(a.pixels()).as("decoded video").containsExactly(b.pixels());
        }
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
                    UnderstandOptions.defaults().toBuilder().maxNewTokens(8).minNewTokens(8).build(), TokenListener.NONE);
            int[] expected = Arrays.stream(Arrays.copyOfRange(sequence, ids.length, sequence.length)).mapToInt(v -> (int) v).toArray();
            assertThat(result.tokens()).containsExactly(expected);
        }
    }
}
