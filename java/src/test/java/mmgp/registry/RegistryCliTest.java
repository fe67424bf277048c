package mmgp.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import mmgp.api.Task;
import mmgp.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code models} and {@code pull} verbs' output and exit codes (the full pull runs in the models module's PullFromLocalHubTest). */
class RegistryCliTest {
    @TempDir
    Path root;

    record Run(int code, String out, String err) {}

    static Run mmgp(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    InstalledModel install(ModelRegistry registry, String name, Task task) throws Exception {
        Path staging = registry.newStaging(name);
        Files.writeString(staging.resolve(name + ".gguf"), "weights of " + name);
        var f = new ModelManifest.InstalledFile(name + ".gguf", Files.size(staging.resolve(name + ".gguf")), Checksums.sha256(staging.resolve(name + ".gguf")), "weights");
        return registry.install(staging, ModelRegistryTest.manifest(name, task, name + ".gguf", List.of(f)));
    }

    @Test
    void modelsDefaultSaysWhenAnInstallChoseTheDistilledModel() throws Exception {
        ModelRegistry registry = new ModelRegistry(root);
        install(registry, "ltx-video", Task.VIDEO);
        ModelDefaultsTest.install(registry, "ltx-video-2b-0.9.8-distilled", ModelCatalog.DISTILLED_DEFAULTS);
        Run shown = mmgp("models", "default", "video", "--models", root.toString());
        assertThat(shown.out()).contains("video: ltx-video-2b-0.9.8-distilled").contains("chosen on install as the distilled model");
        assertThat(mmgp("models", "--models", root.toString()).out()).containsPattern("ltx-video-2b-0.9.8-distilled\\s+video.*yes");
        Run chosen = mmgp("models", "default", "video", "ltx-video", "--models", root.toString());
        assertThat(chosen.out()).contains("video: ltx-video").doesNotContain("chosen on install");
    }

    @Test
    void modelsListsVerifiesChoosesAndRemoves() throws Exception {
        ModelRegistry registry = new ModelRegistry(root);
        InstalledModel a = install(registry, "amused-256", Task.IMAGE);
        install(registry, "amused-512", Task.IMAGE);

        Run list = mmgp("models", "--models", root.toString());
        assertThat(list.code()).isZero();
        assertThat(list.out()).contains("models in " + root).containsPattern("amused-256\\s+image\\s+q8_0\\s+\\d+ B\\s+ok")
                .contains("amused/amused-256@0123456789ab").contains("available to pull").contains("ltx-video").contains("Lightricks/LTX-Video");

        assertThat(mmgp("models", "default", "image", "--models", root.toString()).err()).contains("several image models");
        Run chosen = mmgp("models", "default", "image", "amused-512", "--models", root.toString());
        assertThat(chosen.code()).isZero();
        assertThat(chosen.out()).contains("image: amused-512");

        Files.writeString(a.entryPoint(), "truncated");
        assertThat(mmgp("models", "--models", root.toString()).out()).containsPattern("amused-256.*DAMAGED").contains("size 9 bytes");
        Run verify = mmgp("models", "verify", "--models", root.toString());
        assertThat(verify.code()).isEqualTo(1);
        assertThat(verify.out()).contains("amused-256: 1 problem(s)").contains("amused-512: OK");

        assertThat(mmgp("models", "remove", "amused-256", "--models", root.toString()).code()).isZero();
        assertThat(registry.find("amused-256")).isEmpty();
    }

    @Test
    void pullRefusesATypeTheFamilyCannotWriteWithoutAskingTheHub() throws Exception {
        Path repo = Files.createDirectories(root.resolve("repo"));
        Files.writeString(repo.resolve("config.json"), "{}");
        try (FakeHub hub = new FakeHub(repo, "HuggingFaceTB/SmolVLM2-256M-Video-Instruct")) {
            Run r = mmgp("pull", "smolvlm2-256m", "--type", "q4_0", "--endpoint", hub.endpoint(), "--models", root.resolve("models").toString());
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err()).contains("smolvlm models cannot be converted to q4_0; use --type q8_0, f16, bf16 or f32").doesNotContain("Exception");
            assertThat(hub.requests).as("refused before any network access").isEmpty();
            Run k = mmgp("pull", "amused-256", "--type", "q4_k", "--endpoint", hub.endpoint(), "--models", root.resolve("models").toString());
            assertThat(k.err()).contains("amused models cannot be converted to q4_k");
            assertThat(hub.requests).isEmpty();
        }
    }

    @Test
    void pullExplainsBadArguments() {
        Run unknown = mmgp("pull", "stable-diffusion", "--models", root.toString());
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).contains("unknown model 'stable-diffusion'").contains("amused-256").contains("--repo");
        assertThat(mmgp("pull", "x", "--repo", "a/b", "--models", root.toString()).err()).contains("--repo needs --family");
        assertThat(mmgp("pull", "x", "--repo", "a/b", "--family", "sd", "--models", root.toString()).err()).contains("unknown model family 'sd'");
        assertThat(mmgp("pull", "amused-256", "--type", "q9", "--models", root.toString()).err()).contains("unknown --type 'q9'")
                .contains("amused-256 takes q8_0, f16, bf16, f32, q5_1, q5_0, q4_1 or q4_0");
        assertThat(mmgp("pull", "amused-256", "--endpoint", "ftp://x", "--models", root.toString()).err()).contains("not an http(s) URL");
    }
}
