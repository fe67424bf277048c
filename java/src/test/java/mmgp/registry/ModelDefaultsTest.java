package mmgp.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import mmgp.api.Task;
import mmgp.api.VideoOptions;
import mmgp.gguf.GgufFile;
import mmgp.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model's recommended defaults: manifest and GGUF round trips, old manifests, the catalog, and the CPU default choice. */
class ModelDefaultsTest {
    static final ModelDefaults DISTILLED = ModelDefaults.distilled(new double[] {1000, 993, 987, 981, 975, 909, 725}, 0.05f, 0.025f);

    @TempDir
    Path root;

    static ModelManifest manifest(String name, Task task, ModelDefaults d) {
        return ModelRegistryTest.manifest(name, task, name + ".gguf", List.of()).withDefaults(d);
    }

    @Test
    void manifestRoundTripsWithDefaults() throws Exception {
        ModelManifest m = manifest("ltx-distilled", Task.VIDEO, DISTILLED);
        Path f = root.resolve("manifest.json");
        m.write(f);
        ModelManifest back = ModelManifest.read(f);
        assertThat(back).isEqualTo(m);
        assertThat(back.defaults().timesteps()).containsExactly(1000, 993, 987, 981, 975, 909, 725);
        assertThat(back.defaults().guidance()).isEqualTo(1f);
        assertThat(back.defaults().decodeTimestep()).isEqualTo(0.05f);
        assertThat(back.defaults().decodeNoiseScale()).isEqualTo(0.025f);
        assertThat(back.defaults().distilled()).isTrue();
        assertThat(back.defaults().stepsOr(40)).isEqualTo(7);
        assertThat(Files.readString(f)).contains("\"defaults\"").contains("\"guidance\" : 1.0").contains("\"distilled\" : true");

        ModelManifest plain = manifest("ltx-095", Task.VIDEO, ModelDefaults.of(40, 3f, 0.05f));
        plain.write(f);
        assertThat(ModelManifest.read(f)).isEqualTo(plain);
        assertThat(ModelManifest.read(f).defaults().timesteps()).isNull();
    }

    @Test
    void manifestWithoutDefaultsRoundTripsAndOldManifestsReadAsNone() throws Exception {
        ModelManifest m = ModelRegistryTest.manifest("amused-256", Task.IMAGE, "amused-256.gguf", List.of());
        Path f = root.resolve("manifest.json");
        m.write(f);
        assertThat(Files.readString(f)).doesNotContain("defaults");
        assertThat(ModelManifest.read(f)).isEqualTo(m);
        assertThat(ModelManifest.read(f).defaults()).isEqualTo(ModelDefaults.NONE);
        assertThat(ModelDefaults.NONE.stepsOr(40)).isEqualTo(40);
        assertThat(ModelDefaults.NONE.guidanceOr(3f)).isEqualTo(3f);

        // Unknown fields inside "defaults" (a newer mmgp) are ignored; wrong types are refused with the field named.
        String json = Files.readString(f).replaceFirst("\\{", "{ \"defaults\": {\"steps\": 8, \"sampler\": \"euler\"},");
        Files.writeString(f, json);
        assertThat(ModelManifest.read(f).defaults().steps()).isEqualTo(8);
        Files.writeString(f, json.replace("\"steps\": 8", "\"steps\": \"many\""));
        assertThatThrownBy(() -> ModelManifest.read(f)).hasMessageContaining("defaults.steps");
    }

    @Test
    void refusesNonsenseDefaults() {
        assertThatThrownBy(() -> ModelDefaults.of(0, 3f, null)).hasMessageContaining("steps");
        assertThatThrownBy(() -> ModelDefaults.of(8, -1f, null)).hasMessageContaining("guidance");
        assertThatThrownBy(() -> new ModelDefaults(null, new double[0], 1f, null, null, true)).hasMessageContaining("timestep");
    }

    @Test
    void ggufMetadataRoundTripsAndIsReadWhenThereIsNoManifest() throws Exception {
        Path gguf = root.resolve("loose.gguf");
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "test");
        DISTILLED.writeTo(w);
        w.write(gguf);
        try (GgufFile g = GgufFile.open(gguf)) {
            assertThat(ModelDefaults.read(g.metadata())).isEqualTo(DISTILLED);
        }
        assertThat(ModelDefaults.forModel(gguf)).isEqualTo(DISTILLED);

        Path bare = root.resolve("bare.gguf");
        new GgufWriter().putString("general.architecture", "test").write(bare);
        assertThat(ModelDefaults.forModel(bare)).isEqualTo(ModelDefaults.NONE);
        assertThat(ModelDefaults.forModel(root.resolve("missing.gguf"))).isEqualTo(ModelDefaults.NONE);
        assertThat(ModelDefaults.forModel(null)).isEqualTo(ModelDefaults.NONE);
    }

    @Test
    void catalogEntriesCarryTheirRecommendedDefaults() {
        CatalogEntry ltx = ModelCatalog.byName("ltx-video");
        assertThat(ltx.repo()).isEqualTo("Lightricks/LTX-Video");
        assertThat(ltx.defaults().steps()).isEqualTo(40);
        assertThat(ltx.defaults().guidance()).isEqualTo(3f);
        assertThat(ltx.defaults().distilled()).isFalse();

        CatalogEntry v095 = ModelCatalog.byName("ltx-video-0.9.5");
        assertThat(v095.repo()).isEqualTo("Lightricks/LTX-Video-0.9.5");
        assertThat(v095.family()).isEqualTo(ModelFamily.LTX);
        assertThat(v095.defaults()).isEqualTo(ModelDefaults.of(40, 3f, 0.05f));

        CatalogEntry distilled = ModelCatalog.byName("ltx-video-2b-0.9.8-distilled");
        assertThat(distilled.repo()).isEqualTo("Lightricks/LTX-Video");
        assertThat(distilled.family().task()).isEqualTo(Task.VIDEO);
        assertThat(distilled.family().files().matches("ltxv-2b-0.9.8-distilled.safetensors")).isTrue();
        assertThat(distilled.family().files().matches("ltxv-13b-0.9.8-distilled.safetensors")).isFalse();
        assertThat(distilled.family().shared().repo()).isEqualTo("Lightricks/LTX-Video-0.9.5");
        assertThat(distilled.family().shared().files().matches("text_encoder/model-00001-of-00004.safetensors")).isTrue();
        assertThat(distilled.family().shared().files().matches("tokenizer/spiece.model")).isTrue();
        assertThat(distilled.family().shared().files().matches("transformer/diffusion_pytorch_model.safetensors")).isFalse();
        assertThat(distilled.defaults()).isEqualTo(DISTILLED);
        assertThat(distilled.withRevision("abc").defaults()).as("a pinned revision keeps the defaults").isEqualTo(DISTILLED);

        assertThat(ModelCatalog.find("ltx-video-0.9.9")).isEmpty();
        assertThatThrownBy(() -> ModelCatalog.byName("ltx-video-0.9.9")).hasMessageContaining("ltx-video-2b-0.9.8-distilled");
        assertThat(new CatalogEntry("x", "a/b", "main", ModelFamily.LTX, mmgp.tensor.GgmlType.Q8_0).defaults()).isEqualTo(ModelDefaults.NONE);
    }

    /** Installs an empty-weights model with defaults {@code d}. */
    static InstalledModel install(ModelRegistry registry, String name, ModelDefaults d) throws Exception {
        Path staging = registry.newStaging(name);
        Path weights = staging.resolve(name + ".gguf");
        Files.writeString(weights, name);
        var file = new ModelManifest.InstalledFile(name + ".gguf", Files.size(weights), Checksums.sha256(weights), "weights");
        return registry.install(staging, ModelRegistryTest.manifest(name, Task.VIDEO, name + ".gguf", List.of(file)).withDefaults(d));
    }

    @Test
    void ofSeveralVideoModelsTheDistilledOneIsTheDefaultUnlessOneIsChosen() throws Exception {
        ModelRegistry registry = new ModelRegistry(root);
        install(registry, "ltx-video", ModelDefaults.of(40, 3f, null));
        install(registry, "ltx-video-0.9.5", ModelDefaults.of(40, 3f, 0.05f));
        assertThatThrownBy(() -> registry.installed(Task.VIDEO)).hasMessageContaining("several video models");
        InstalledModel distilled = install(registry, "ltx-video-2b-0.9.8-distilled", DISTILLED);
        assertThat(registry.installed(Task.VIDEO)).contains(distilled);
        assertThat(ModelDefaults.forModel(distilled.entryPoint())).isEqualTo(DISTILLED);
        registry.setDefault(Task.VIDEO, "ltx-video-0.9.5");
        assertThat(registry.installed(Task.VIDEO).orElseThrow().name()).as("a chosen default wins").isEqualTo("ltx-video-0.9.5");
    }

    @Test
    void aDistilledInstallBecomesTheDefaultUnlessTheUserChoseOne() throws Exception {
        ModelRegistry registry = new ModelRegistry(root);
        install(registry, "ltx-video", ModelDefaults.of(40, 3f, null));
        assertThat(registry.defaultFor(Task.VIDEO)).as("a plain model sets no default").isEmpty();
        install(registry, "distilled-a", DISTILLED);
        assertThat(registry.defaultFor(Task.VIDEO)).as("written to registry.json").contains("distilled-a");
        assertThat(registry.defaultIsAutomatic(Task.VIDEO)).isTrue();
        assertThat(new ModelRegistry(root).installed(Task.VIDEO).orElseThrow().name()).isEqualTo("distilled-a");
        install(registry, "distilled-b", DISTILLED);
        assertThat(registry.defaultFor(Task.VIDEO)).as("a later distilled install replaces an automatic choice").contains("distilled-b");
        install(registry, "ltx-video-0.9.5", ModelDefaults.of(40, 3f, 0.05f));
        assertThat(registry.defaultFor(Task.VIDEO)).as("a plain install keeps it").contains("distilled-b");

        registry.setDefault(Task.VIDEO, "ltx-video");
        assertThat(registry.defaultIsAutomatic(Task.VIDEO)).isFalse();
        install(registry, "distilled-c", DISTILLED);
        install(registry, "distilled-a", DISTILLED); // pulled again
        assertThat(registry.defaultFor(Task.VIDEO)).as("the user's choice stays").contains("ltx-video");
        assertThat(registry.installed(Task.VIDEO).orElseThrow().name()).isEqualTo("ltx-video");

        // removing the automatic default clears it; other tasks are untouched
        registry.setDefault(Task.VIDEO, "distilled-c");
        registry.remove("ltx-video");
        assertThat(registry.defaultFor(Task.VIDEO)).contains("distilled-c");
        assertThat(registry.defaultFor(Task.IMAGE)).isEmpty();
    }

    @Test
    void defaultsParseFromTheCommandLine() {
        assertThat(ModelDefaults.parse("distilled")).isEqualTo(ModelCatalog.DISTILLED_DEFAULTS);
        assertThat(ModelDefaults.parse(" 40,3 ")).isEqualTo(ModelDefaults.of(40, 3f, null));
        assertThat(ModelDefaults.parse("20,4.5,0.05")).isEqualTo(ModelDefaults.of(20, 4.5f, 0.05f));
        assertThatThrownBy(() -> ModelDefaults.parse("40")).hasMessageContaining("STEPS,GUIDANCE");
        assertThatThrownBy(() -> ModelDefaults.parse("forty,3")).hasMessageContaining("forty");
        assertThatThrownBy(() -> ModelDefaults.parse("40,3,2")).hasMessageContaining("decode timestep 2.0 outside 0..1");
        assertThatThrownBy(() -> ModelDefaults.parse("0,3")).hasMessageContaining("default steps 0");
        assertThat(ModelCatalog.DISTILLED_DEFAULTS.describe()).isEqualTo("7 timesteps [1000, 993, 987, 981, 975, 909, 725], guidance 1.0, decode timestep 0.05, decode noise scale 0.025 (distilled)");
        assertThat(ModelDefaults.of(40, 3f, null).describe()).isEqualTo("40 steps, guidance 3.0");
    }

    @Test
    void videoOptionsLeaveStepsAndGuidanceToTheModelByDefault() {
        VideoOptions d = VideoOptions.defaults();
        assertThat(d.modelSteps()).isTrue();
        assertThat(d.modelGuidance()).isTrue();
        VideoOptions explicit = d.withSteps(5).withGuidance(4f);
        assertThat(explicit.modelSteps()).isFalse();
        assertThat(explicit.modelGuidance()).isFalse();
        assertThatThrownBy(() -> d.withSteps(-1)).hasMessageContaining("steps");
        assertThatThrownBy(() -> d.withGuidance(-2f)).hasMessageContaining("guidance_scale");
    }
}
