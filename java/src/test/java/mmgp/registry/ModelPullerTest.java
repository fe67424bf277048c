package mmgp.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import mmgp.api.Task;
import mmgp.gguf.GgufFile;
import mmgp.tensor.GgmlType;
import mmgp.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pull end to end through the fake hub with the built-in raw converter (the model converters live in the models module). */
class ModelPullerTest {
    static final String REPO = "test-org/amused-text-encoder";
    static final String WEIGHTS = "text_encoder/model.safetensors";
    static final ModelFamily RAW = new ModelFamily("raw", Task.IMAGE,
            new FilePatterns(List.of("model_index.json", "text_encoder/*"), List.of("**/*.fp16.*")), List.of());
    static final CatalogEntry ENTRY = new CatalogEntry("te-raw", REPO, "main", RAW, GgmlType.F32);

    @TempDir
    Path tmp;
    FakeHub hub;
    ModelRegistry registry;

    @BeforeEach
    void serve() throws Exception {
        Path repo = Fixtures.amusedTextEncoder(tmp.resolve("repo"));
        // Files the family does not need: they must not be downloaded.
        Files.writeString(repo.resolve("README.md"), "# tiny");
        Files.write(repo.resolve("text_encoder/model.fp16.safetensors"), new byte[1000]);
        hub = new FakeHub(repo, REPO);
        registry = new ModelRegistry(tmp.resolve("models"));
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    ModelPuller puller(String token) {
        return new ModelPuller(registry, new HubClient(hub.endpoint(), token, new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofSeconds(20))), PullListener.NONE);
    }

    @Test
    void pullDownloadsVerifiesConvertsAndInstalls() throws Exception {
        hub.dropConnectionOnce(WEIGHTS, 50_000);
        ModelPuller.Result r = puller(null).pull(ENTRY, GgmlType.F32, false, false);
        assertThat(r.upToDate()).isFalse();
        InstalledModel m = r.model();
        ModelManifest mf = m.manifest();
        assertThat(mf.name()).isEqualTo("te-raw");
        assertThat(mf.task()).isEqualTo(Task.IMAGE);
        assertThat(mf.family()).isEqualTo("raw");
        assertThat(mf.weightType()).isEqualTo("f32");
        assertThat(mf.source().repo()).isEqualTo(REPO);
        assertThat(mf.source().revision()).isEqualTo(hub.commit);
        assertThat(mf.source().files()).extracting(ModelManifest.SourceFile::path)
                .containsExactlyInAnyOrder("model_index.json", "text_encoder/config.json", WEIGHTS);
        for (ModelManifest.SourceFile f : mf.source().files()) {
            assertThat(f.sha256()).as(f.path()).isEqualTo(FakeHub.sha256(hub.content(f.path())));
        }
        assertThat(hub.requests).noneMatch(q -> q.path().endsWith("README.md") || q.path().contains("fp16"));
        assertThat(mf.files()).extracting(ModelManifest.InstalledFile::path).containsExactly("te-raw.gguf");
        assertThat(m.entryPoint()).isEqualTo(registry.root().resolve("te-raw/te-raw.gguf"));
        try (GgufFile gguf = GgufFile.open(m.entryPoint())) {
            assertThat(gguf.getString("general.architecture")).isEqualTo("raw");
            assertThat(gguf.getString("general.name")).as("named after the model, not the commit").isEqualTo("te-raw");
            assertThat(gguf.getString("mmgp.source.revision")).isEqualTo(hub.commit);
        }
        assertThat(registry.verify("te-raw").ok()).isTrue();
        assertThat(registry.installed(Task.IMAGE)).get().extracting(InstalledModel::name).isEqualTo("te-raw");
        assertThat(registry.downloads()).as("downloads are deleted after install").doesNotExist();
        assertThat(hub.requests).anyMatch(q -> q.range() != null);
        assertNoStaging();
    }

    @Test
    void aPullRecordsTheEntrysDefaultsInTheManifestAndTheGguf() throws Exception {
        ModelDefaults d = ModelDefaults.distilled(new double[] {1000, 993, 725}, 0.05f);
        ModelPuller.Result r = puller(null).pull(new CatalogEntry("te-raw", REPO, "main", RAW, GgmlType.F32, d), GgmlType.F32, false, false);
        assertThat(r.model().manifest().defaults()).isEqualTo(d);
        assertThat(registry.require("te-raw").manifest().defaults()).as("read back from manifest.json").isEqualTo(d);
        assertThat(ModelDefaults.forModel(r.model().entryPoint())).isEqualTo(d);
        try (mmgp.gguf.GgufFile gguf = mmgp.gguf.GgufFile.open(r.model().entryPoint())) {
            assertThat(ModelDefaults.read(gguf.metadata())).as("the GGUF's own metadata").isEqualTo(d);
        }
    }

    @Test
    void withoutTheModelsModuleTheLtxEntriesStopBeforeDownloadingAndSayWhy() {
        // the engine module alone has no LTX converter (mmgp-models brings it; PullFromLocalHubTest pulls the entry for real)
        CatalogEntry distilled = ModelCatalog.byName("ltx-video-2b-0.9.8-distilled");
        assertThatThrownBy(() -> puller(null).pull(distilled, GgmlType.Q8_0, false, false))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("the 'ltx' converter").hasMessageContaining("mmgp-models");
        assertThat(hub.requests).isEmpty();
    }

    @Test
    void aTypeTheFamilysConverterCannotWriteIsRefusedBeforeTheHubIsAsked() throws Exception {
        // SmolVLM's converter writes what llama.cpp's convert_hf_to_gguf.py writes: no q4_0.
        CatalogEntry smol = new CatalogEntry("smol", REPO, "main", ModelFamily.SMOLVLM, GgmlType.Q8_0);
        assertThatThrownBy(() -> puller(null).pull(smol, GgmlType.Q4_0, false, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("smolvlm models cannot be converted to q4_0; use --type q8_0, f16, bf16 or f32 (quantize further with llama-quantize)");
        // No converter here writes k-quants.
        assertThatThrownBy(() -> puller(null).pull(ENTRY, GgmlType.Q4_K, false, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be converted to q4_k")
                .hasMessageContaining("q8_0, f16, bf16, f32, q5_1, q5_0, q4_1 or q4_0");
        assertThat(hub.requests).isEmpty();
        assertNoStaging();
        // The families' lists: every catalog default is accepted, aMUSEd/LTX take the 4- and 5-bit types too.
        for (CatalogEntry e : ModelCatalog.entries()) {
            if (e.family().shared() == null) e.family().requireType(e.defaultType());
        }
        ModelFamily.AMUSED.requireType(GgmlType.Q4_0);
        ModelFamily.LTX.requireType(GgmlType.Q5_1);
        assertThat(ModelFamily.SMOLVLM.weightTypes()).containsExactly(GgmlType.Q8_0, GgmlType.F16, GgmlType.BF16, GgmlType.F32);
    }

    @Test
    void aSecondPullOfTheSameCommitDoesNothing() throws Exception {
        puller(null).pull(ENTRY, GgmlType.F32, false, false);
        int before = hub.requests.size();
        ModelPuller.Result again = puller(null).pull(ENTRY, GgmlType.F32, false, false);
        assertThat(again.upToDate()).isTrue();
        assertThat(hub.requests.subList(before, hub.requests.size())).extracting(FakeHub.Request::path).allMatch(p -> p.contains("/revision/"));
        assertThat(puller(null).pull(ENTRY, GgmlType.F16, false, false).upToDate()).as("another weight type converts again").isFalse();
        assertThat(registry.require("te-raw").manifest().weightType()).isEqualTo("f16");
    }

    @Test
    void aKeptDownloadIsReusedWithoutFetchingAgain() throws Exception {
        puller(null).pull(ENTRY, GgmlType.F32, true, false);
        assertThat(registry.downloads().resolve(REPO).resolve(hub.commit).resolve(WEIGHTS)).exists();
        int before = hub.requests.size();
        puller(null).pull(ENTRY, GgmlType.F32, false, true);
        assertThat(hub.requests.subList(before, hub.requests.size())).noneMatch(q -> q.path().contains("/resolve/"));
        assertThat(registry.downloads()).doesNotExist();
    }

    @Test
    void aCorruptedDownloadInstallsNothing() throws Exception {
        hub.corrupt(WEIGHTS);
        assertThatThrownBy(() -> puller(null).pull(ENTRY, GgmlType.F32, false, false))
                .isInstanceOf(ChecksumMismatchException.class).hasMessageContaining(WEIGHTS);
        assertThat(registry.list()).isEmpty();
        assertThat(registry.root().resolve("te-raw")).doesNotExist();
        assertNoStaging();
    }

    @Test
    void aGatedRepoWithoutTokenInstallsNothingAndSaysWhy() throws Exception {
        hub.requireToken("hf_x");
        assertThatThrownBy(() -> puller(null).pull(ENTRY, GgmlType.F32, false, false))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.status()).isEqualTo(401)).hasMessageContaining("HF_TOKEN");
        assertThat(registry.list()).isEmpty();
        assertThat(puller("hf_x").pull(ENTRY, GgmlType.F32, false, false).model().name()).isEqualTo("te-raw");
    }

    @Test
    void aFailedConversionInstallsNothingAndKeepsTheDownloadForNextTime() throws Exception {
        CatalogEntry noWeights = new CatalogEntry("te-raw", REPO, "main",
                new ModelFamily("raw", Task.IMAGE, new FilePatterns(List.of("model_index.json"), List.of()), List.of()), GgmlType.F32);
        assertThatThrownBy(() -> puller(null).pull(noWeights, GgmlType.F32, false, false)).hasMessageContaining("holds no safetensors");
        assertThat(registry.list()).isEmpty();
        assertThat(registry.downloads().resolve(REPO).resolve(hub.commit).resolve("model_index.json")).exists();
        assertNoStaging();
    }

    @Test
    void aRepoWithoutTheFamilysFilesSaysSo() {
        CatalogEntry ltxLike = new CatalogEntry("te-raw", REPO, "main",
                new ModelFamily("raw", Task.VIDEO, new FilePatterns(List.of("vae/*"), List.of()), List.of()), GgmlType.F32);
        assertThatThrownBy(() -> puller(null).pull(ltxLike, GgmlType.F32, false, false)).hasMessageContaining("has no files").hasMessageContaining("--family");
    }

    @Test
    void aSecondPullOfTheSameModelWaitsItsTurn() throws Exception {
        Path lockFile = registry.root().resolve(ModelRegistry.LOCKS).resolve("te-raw.lock");
        Files.createDirectories(lockFile.getParent());
        try (var channel = java.nio.channels.FileChannel.open(lockFile, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
             var held = channel.lock()) {
            assertThatThrownBy(() -> puller(null).pull(ENTRY, GgmlType.F32, false, false)).hasMessageContaining("another pull of te-raw is running");
        }
        assertThat(hub.requests).isEmpty();
        assertThat(puller(null).pull(ENTRY, GgmlType.F32, false, false).model().name()).isEqualTo("te-raw");
    }

    @Test
    void anotherNameOfTheSameRepositoryWaitsItsTurnToo() throws Exception {
        Path lockFile = registry.root().resolve(ModelRegistry.LOCKS).resolve(REPO.replace('/', '+') + ".repo.lock");
        Files.createDirectories(lockFile.getParent());
        CatalogEntry sameRepo = new CatalogEntry("te-raw-2", REPO, "main", RAW, GgmlType.F32);
        try (var channel = java.nio.channels.FileChannel.open(lockFile, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
             var held = channel.lock()) {
            assertThatThrownBy(() -> puller(null).pull(sameRepo, GgmlType.F32, false, false)).hasMessageContaining("another pull from " + REPO + " is running");
        }
        assertThat(hub.requests).isEmpty();
        assertThat(puller(null).pull(sameRepo, GgmlType.F32, false, false).model().name()).isEqualTo("te-raw-2");
    }

    @Test
    void aPullClearsWhatAKilledPullOfTheSameNameLeftInStaging() throws Exception {
        Path build = registry.newStaging("te-raw");
        Files.writeString(build.resolve("half.gguf"), "half");
        Path source = registry.newStaging("te-raw-source");
        Path otherModel = registry.newStaging("te-raw-2");
        puller(null).pull(ENTRY, GgmlType.F32, false, false);
        assertThat(build).doesNotExist();
        assertThat(source).doesNotExist();
        assertThat(otherModel).as("another model's staging is not ours to clear").exists();
    }

    @Test
    void aMovedBranchWhoseFilesDidNotChangeIsUpToDate() throws Exception {
        puller(null).pull(ENTRY, GgmlType.F32, false, false);
        String first = hub.commit;
        hub.commit(REPO, "README.md", "# tiny, reworded".getBytes()); // main moves; nothing the model needs changed
        assertThat(hub.commit).isNotEqualTo(first);
        int before = hub.requests.size();
        ModelPuller.Result again = puller(null).pull(ENTRY, GgmlType.F32, false, false);
        assertThat(again.upToDate()).as("same sha256 (LFS) and git blob ids (the rest) as installed").isTrue();
        assertThat(hub.requests.subList(before, hub.requests.size())).noneMatch(q -> q.path().contains("/resolve/"));

        hub.commit(REPO, "text_encoder/config.json", (new String(hub.content("text_encoder/config.json")) + " ").getBytes());
        ModelPuller.Result changed = puller(null).pull(ENTRY, GgmlType.F32, false, false);
        assertThat(changed.upToDate()).as("a needed file changed").isFalse();
        assertThat(changed.model().manifest().source().revision()).isEqualTo(hub.commit);
    }

    @Test
    void aKeptDownloadOfAnEarlierCommitIsMovedToTheNewOneNotLeftBehind() throws Exception {
        puller(null).pull(ENTRY, GgmlType.F32, true, false);
        Path old = registry.downloads().resolve(REPO).resolve(hub.commit);
        hub.commit(REPO, "text_encoder/config.json", (new String(hub.content("text_encoder/config.json")) + " ").getBytes());
        int before = hub.requests.size();
        assertThat(puller(null).pull(ENTRY, GgmlType.F32, true, false).upToDate()).isFalse();
        assertThat(old).as("superseded").doesNotExist();
        assertThat(registry.downloads().resolve(REPO).resolve(hub.commit).resolve(WEIGHTS)).exists();
        assertThat(hub.requests.subList(before, hub.requests.size())).extracting(FakeHub.Request::path)
                .as("only the changed file is fetched").noneMatch(p -> p.contains("/resolve/") && p.endsWith(WEIGHTS))
                .anyMatch(p -> p.contains("/resolve/") && p.endsWith("text_encoder/config.json"));
    }

    @Test
    void theDiskCheckCountsTheConvertedModelBeforeAnyDownload() throws Exception {
        long downloads = Stream.of("model_index.json", "text_encoder/config.json", WEIGHTS).mapToLong(p -> hub.content(p).length).sum();
        assertThatThrownBy(() -> puller(null).withFreeSpace(p -> downloads + 1).pull(ENTRY, GgmlType.F32, false, false))
                .isInstanceOf(DiskSpaceException.class).hasMessageContaining("not enough disk space for pulling te-raw")
                .hasMessageContaining(DiskSpaceException.human(downloads) + " still to download")
                .hasMessageContaining("of converted f32 model");
        assertThat(hub.requests).noneMatch(q -> q.path().contains("/resolve/"));
        assertThat(registry.list()).isEmpty();
    }

    @Test
    void theOutputEstimateReadsTheSafetensorsHeaderWhenTheFileIsHere() throws Exception {
        InstalledModel m = puller(null).pull(ENTRY, GgmlType.F32, true, false).model();
        Path dir = registry.downloads().resolve(REPO).resolve(hub.commit);
        long[] counts = OutputEstimate.tensorElements(dir.resolve(WEIGHTS));
        assertThat(counts).isNotNull();
        long tensorBytes = 4 * (counts[0] + counts[1]);
        long gguf = Files.size(m.entryPoint());
        assertThat(tensorBytes).as("f32 tensors: the GGUF adds only its header and padding").isLessThanOrEqualTo(gguf).isGreaterThan(gguf * 9 / 10);
        HubFile weights = new HubFile(WEIGHTS, Files.size(dir.resolve(WEIGHTS)), null, "0".repeat(64));
        assertThat(OutputEstimate.of(List.of(weights), dir, GgmlType.F32)).isEqualTo(tensorBytes);
        assertThat(OutputEstimate.of(List.of(weights), tmp.resolve("nowhere"), GgmlType.F32))
                .as("no header on disk: 16-bit weights assumed, f32 doubles them").isEqualTo(2 * weights.size());
    }

    @Test
    void aPullLeavesTheFilesAnotherModelSharesFromItsRepository() throws Exception {
        Path staging = registry.newStaging("shares-te");
        Files.writeString(staging.resolve("shares-te.gguf"), "x");
        var out = new ModelManifest.InstalledFile("shares-te.gguf", 1, Checksums.sha256(staging.resolve("shares-te.gguf")), "weights");
        var sharedSource = new ModelManifest.Source(REPO, "0".repeat(40), List.of(new ModelManifest.SourceFile("text_encoder/config.json", 1, "a".repeat(64))));
        registry.install(staging, new ModelManifest("shares-te", Task.VIDEO, "ltx", "shares-te.gguf", "f32", java.time.Instant.now(),
                new ModelManifest.Source("other/repo", "1".repeat(40), List.of()), List.of(out), ModelDefaults.NONE, List.of(sharedSource)));
        puller(null).pull(ENTRY, GgmlType.F32, false, false);
        Path dir = registry.downloads().resolve(REPO).resolve(hub.commit);
        assertThat(dir.resolve("text_encoder/config.json")).as("shares-te's shared file").exists();
        assertThat(dir.resolve(WEIGHTS)).as("only this pull's").doesNotExist();
        assertThat(dir.resolve("model_index.json")).doesNotExist();
    }

    @Test
    void aDefaultThatCannotBeRecordedLeavesTheModelInstalledAndTheNextPullRecordsIt() throws Exception {
        CatalogEntry distilled = new CatalogEntry("te-raw", REPO, "main", RAW, GgmlType.F32, ModelDefaults.distilled(new double[] {1000, 500}, 0.05f));
        Path settings = Files.createDirectories(registry.root().resolve("registry.json").resolve("blocked")); // a folder where registry.json goes
        ModelPuller.Result r = puller(null).pull(distilled, GgmlType.F32, false, false);
        assertThat(r.defaultChanged()).isFalse();
        assertThat(r.defaultProblem()).contains("could not record te-raw as the default image model").contains("registry.json");
        assertThat(registry.find("te-raw")).isPresent();
        assertThat(registry.verify("te-raw").ok()).isTrue();
        try (Stream<Path> s = Files.list(registry.root())) {
            assertThat(s.map(p -> p.getFileName().toString())).as("no temporary settings file left").noneMatch(n -> n.endsWith(".tmp"));
        }
        Files.delete(settings);
        Files.delete(settings.getParent());
        ModelPuller.Result again = puller(null).pull(distilled, GgmlType.F32, false, false);
        assertThat(again.upToDate()).isTrue();
        assertThat(again.defaultChanged()).as("retried").isTrue();
        assertThat(again.defaultProblem()).isNull();
        assertThat(registry.defaultFor(Task.IMAGE)).hasValue("te-raw");
        ModelPuller.Result third = puller(null).pull(distilled, GgmlType.F32, false, false);
        assertThat(third.defaultChanged()).as("nothing pending any more").isFalse();
        ModelPuller.Result forced = puller(null).pull(distilled, GgmlType.F32, false, true);
        assertThat(forced.defaultChanged()).as("already the default").isFalse();
    }

    void assertNoStaging() throws Exception {
        Path staging = registry.root().resolve(ModelRegistry.STAGING);
        if (!Files.exists(staging)) return;
        try (Stream<Path> s = Files.list(staging)) {
            assertThat(s.toList()).isEmpty();
        }
    }
}
