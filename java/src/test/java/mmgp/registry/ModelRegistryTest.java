package mmgp.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import mmgp.api.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRegistryTest {
    @TempDir
    Path root;

    static ModelManifest manifest(String name, Task task, String entry, List<ModelManifest.InstalledFile> files) {
        return new ModelManifest(name, task, "amused", entry, "q8_0", Instant.parse("2026-11-23T20:00:00Z"),
                new ModelManifest.Source("amused/amused-256", "0123456789abcdef0123456789abcdef01234567",
                        List.of(new ModelManifest.SourceFile("model_index.json", 10, "a".repeat(64)))), files);
    }

    /** Stages a model with one weights file holding {@code content} and installs it. */
    InstalledModel installModel(ModelRegistry registry, String name, Task task, String content) throws Exception {
        Path staging = registry.newStaging(name);
        Path weights = staging.resolve(name + ".gguf");
        Files.writeString(weights, content);
        var file = new ModelManifest.InstalledFile(name + ".gguf", Files.size(weights), Checksums.sha256(weights), "weights");
        return registry.install(staging, manifest(name, task, name + ".gguf", List.of(file)));
    }

    @Test
    void manifestRoundTrips() throws Exception {
        ModelManifest m = manifest("smolvlm2-256m", Task.UNDERSTAND, ".", List.of(
                new ModelManifest.InstalledFile("smolvlm2-256m-Q8_0.gguf", 123, "b".repeat(64), "weights"),
                new ModelManifest.InstalledFile("mmproj-smolvlm2-256m-Q8_0.gguf", 45, "c".repeat(64), "projector")));
        Path f = root.resolve("manifest.json");
        m.write(f);
        assertThat(ModelManifest.read(f)).isEqualTo(m);
        assertThat(Files.readString(f)).contains("\"task\" : \"understand\"").contains("\"weight_type\" : \"q8_0\"").contains("\"revision\" : \"0123456789abcdef");
    }

    @Test
    void manifestRefusesPathsOutsideTheModelAndBadHashes() throws Exception {
        assertThatThrownBy(() -> manifest("x", Task.IMAGE, "x.gguf", List.of(new ModelManifest.InstalledFile("../../etc/passwd", 1, "a".repeat(64), "weights"))))
                .hasMessageContaining("not a plain relative path");
        assertThatThrownBy(() -> manifest("x", Task.IMAGE, "/abs.gguf", List.of())).hasMessageContaining("/abs.gguf");
        assertThatThrownBy(() -> manifest("x", Task.IMAGE, "x.gguf", List.of(new ModelManifest.InstalledFile("x.gguf", 1, "xyz", "weights"))))
                .hasMessageContaining("not a sha256");
        Path f = root.resolve("broken.json");
        Files.writeString(f, "{\"name\": \"x\", \"task\": \"painting\"}");
        assertThatThrownBy(() -> ModelManifest.read(f)).hasMessageContaining(f.toString()).hasMessageContaining("missing field 'source'");
    }

    @Test
    void aModelAppearsOnlyWhenInstalledComplete() throws Exception {
        ModelRegistry registry = new ModelRegistry(root);
        Path staging = registry.newStaging("amused-256");
        Files.writeString(staging.resolve("amused-256.gguf"), "weights");
        assertThat(registry.list()).as("staged, not installed").isEmpty();
        assertThat(registry.find("amused-256")).isEmpty();

        var missing = new ModelManifest.InstalledFile("other.gguf", 7, "d".repeat(64), "weights");
        assertThatThrownBy(() -> registry.install(staging, manifest("amused-256", Task.IMAGE, "amused-256.gguf", List.of(missing))))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("other.gguf");
        assertThat(registry.list()).isEmpty();
        assertThat(root.resolve("amused-256")).doesNotExist();

        InstalledModel m = installModel(registry, "amused-256", Task.IMAGE, "weights");
        assertThat(registry.list()).extracting(InstalledModel::name).containsExactly("amused-256");
        assertThat(m.entryPoint()).isEqualTo(root.resolve("amused-256").resolve("amused-256.gguf"));
        assertThat(m.folder().resolve(ModelManifest.FILE_NAME)).exists();
        assertThat(registry.verify("amused-256").ok()).isTrue();
    }

    @Test
    void reinstallingReplacesTheOldFiles() throws Exception {
        ModelRegistry registry = new ModelRegistry(root);
        installModel(registry, "amused-256", Task.IMAGE, "old weights");
        InstalledModel m = installModel(registry, "amused-256", Task.IMAGE, "new weights!");
        assertThat(Files.readString(m.entryPoint())).isEqualTo("new weights!");
        assertThat(registry.verify("amused-256").ok()).isTrue();
        try (var s = Files.list(root.resolve(ModelRegistry.STAGING))) {
            assertThat(s.toList()).as("nothing left behind").isEmpty();
        }
    }

    @Test
    void cleaningStagingPutsBackAModelAKilledReinstallHadMovedAside() throws Exception {
        ModelRegistry registry = new ModelRegistry(root);
        installModel(registry, "amused-256", Task.IMAGE, "weights");
        // What install() does first; the process then dies before the new folder takes the name.
        Path aside = root.resolve(ModelRegistry.STAGING).resolve("amused-256-replaced-42");
        Files.move(root.resolve("amused-256"), aside);
        Path halfBuilt = registry.newStaging("amused-256");
        assertThat(registry.find("amused-256")).isEmpty();

        registry.cleanStaging("amused-256");

        assertThat(registry.require("amused-256").manifest().name()).isEqualTo("amused-256");
        assertThat(registry.verify("amused-256").ok()).isTrue();
        assertThat(aside).doesNotExist();
        assertThat(halfBuilt).doesNotExist();
    }

    @Test
    void verifyFindsAFlippedByteAndAMissingFile() throws Exception {
        ModelRegistry registry = new ModelRegistry(root);
        InstalledModel m = installModel(registry, "amused-256", Task.IMAGE, "some weights");
        String good = m.manifest().files().get(0).sha256();
        byte[] b = Files.readAllBytes(m.entryPoint());
        b[3] ^= 1;
        Files.write(m.entryPoint(), b);
        assertThat(registry.check(m, false).ok()).as("the quick check only sees sizes").isTrue();
        VerificationReport r = registry.verify("amused-256");
        assertThat(r.ok()).isFalse();
        assertThat(r.problems()).singleElement().asString().contains("amused-256.gguf").contains(good).contains(Checksums.sha256(m.entryPoint()));
        Files.delete(m.entryPoint());
        assertThat(registry.verify("amused-256").problems()).singleElement().asString().contains("missing");
        assertThat(registry.check(m, false).ok()).isFalse();
    }

    @Test
    void installedPicksTheDefaultOrTheOnlyModelOfATask() throws Exception {
        ModelRegistry registry = new ModelRegistry(root);
        assertThat(registry.installed(Task.IMAGE)).isEmpty();
        installModel(registry, "amused-256", Task.IMAGE, "a");
        installModel(registry, "smolvlm2-256m", Task.UNDERSTAND, "s");
        assertThat(registry.installed(Task.IMAGE)).get().extracting(InstalledModel::name).isEqualTo("amused-256");
        assertThat(registry.installed(Task.VIDEO)).isEmpty();

        installModel(registry, "amused-512", Task.IMAGE, "b");
        assertThatThrownBy(() -> registry.installed(Task.IMAGE)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("amused-256").hasMessageContaining("amused-512").hasMessageContaining("mmgp models default image");
        registry.setDefault(Task.IMAGE, "amused-512");
        assertThat(registry.installed(Task.IMAGE)).get().extracting(InstalledModel::name).isEqualTo("amused-512");
        assertThat(new ModelRegistry(root).defaultFor(Task.IMAGE)).as("kept on disk").contains("amused-512");
        assertThat(registry.installed(Task.UNDERSTAND)).get().extracting(InstalledModel::name).isEqualTo("smolvlm2-256m");
        assertThatThrownBy(() -> registry.setDefault(Task.VIDEO, "amused-256")).hasMessageContaining("is a image model");

        registry.remove("amused-512");
        assertThat(registry.defaultFor(Task.IMAGE)).as("removing the default model clears the choice").isEmpty();
        assertThat(registry.installed(Task.IMAGE)).get().extracting(InstalledModel::name).isEqualTo("amused-256");
        registry.setDefault(Task.IMAGE, "amused-256");
        ModelRegistry.deleteTree(root.resolve("amused-256")); // deleted by hand, not with remove
        assertThatThrownBy(() -> registry.installed(Task.IMAGE)).hasMessageContaining("'amused-256'").hasMessageContaining("not installed");
    }

    @Test
    void aDamagedManifestHidesOnlyItsModel() throws Exception {
        ModelRegistry registry = new ModelRegistry(root);
        installModel(registry, "amused-256", Task.IMAGE, "a");
        Files.createDirectories(root.resolve("broken"));
        Files.writeString(root.resolve("broken").resolve(ModelManifest.FILE_NAME), "{not json");
        assertThat(registry.list()).extracting(InstalledModel::name).containsExactly("amused-256");
        assertThat(registry.unreadable()).containsOnlyKeys(root.resolve("broken"));
        assertThatThrownBy(() -> registry.require("nothing")).hasMessageContaining("installed: [amused-256]");
    }

    @Test
    void aFolderModelOpensAsTheFolder() throws Exception {
        ModelRegistry registry = new ModelRegistry(root);
        Path staging = registry.newStaging("smolvlm2-256m");
        Files.writeString(staging.resolve("t.gguf"), "t");
        var f = new ModelManifest.InstalledFile("t.gguf", 1, Checksums.sha256(staging.resolve("t.gguf")), "weights");
        InstalledModel m = registry.install(staging, manifest("smolvlm2-256m", Task.UNDERSTAND, ".", List.of(f)));
        assertThat(m.entryPoint()).isEqualTo(root.resolve("smolvlm2-256m"));
    }

    @Test
    void anInstallRecordingItsDefaultWaitsForWhoeverHoldsRegistryJson() throws Exception {
        ModelRegistry registry = new ModelRegistry(root);
        installModel(registry, "amused-256", Task.IMAGE, "a");
        java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
        Thread install;
        try (var held = registry.lockSettings()) {
            // a concurrent `models default` in the middle of its read-modify-write
            install = Thread.ofPlatform().start(() -> {
                try {
                    ModelDefaultsTest.install(new ModelRegistry(root), "ltx-distilled", ModelDefaults.distilled(new double[] {1000, 500}, 0.05f));
                } catch (Throwable t) {
                    failed.set(t);
                }
            });
            install.join(500);
            assertThat(install.isAlive()).as("the install waits for the lock").isTrue();
            assertThat(root.resolve("registry.json")).doesNotExist();
            // what the holder writes before it lets go must survive the install's write
            Files.writeString(root.resolve("registry.json"), "{\"defaults\": {\"image\": \"amused-256\"}}\n");
        }
        install.join(10_000);
        assertThat(failed.get()).isNull();
        assertThat(registry.defaultFor(Task.IMAGE)).hasValue("amused-256");
        assertThat(registry.defaultFor(Task.VIDEO)).hasValue("ltx-distilled");
    }

    @Test
    void namesCannotEscapeTheRegistry() {
        ModelRegistry registry = new ModelRegistry(root);
        assertThatThrownBy(() -> registry.find("../etc")).hasMessageContaining("bad model name");
        assertThatThrownBy(() -> registry.newStaging("A/B")).hasMessageContaining("bad model name");
    }
}
