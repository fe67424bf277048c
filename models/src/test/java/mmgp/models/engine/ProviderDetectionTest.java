package mmgp.models.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import mmgp.api.Task;
import mmgp.convert.ConversionPlan;
import mmgp.convert.HfCheckpoint;
import mmgp.convert.ModelConverter;
import mmgp.convert.TypePolicy;
import mmgp.engine.spi.ModelProvider;
import mmgp.models.smolvlm.SmolVlmConverter;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which provider claims which model path: the fixtures' folders, their converted GGUFs, and things that are no model. */
class ProviderDetectionTest {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures");
    static final Path AMUSED = FIXTURES.resolve("amused/checkpoint"), LTX = FIXTURES.resolve("ltx_video/checkpoint"),
            SMOLVLM = FIXTURES.resolve("smolvlm2_processor/checkpoint");

    @TempDir
    static Path dir;

    static Path amusedGguf, ltxGguf;
    static SmolVlmConverter.Output smolvlmGgufs;

    @BeforeAll
    static void convert() throws Exception {
        amusedGguf = convert("amused", AMUSED, dir.resolve("amused.gguf"));
        ltxGguf = convert("ltx", LTX, dir.resolve("ltx.gguf"));
        smolvlmGgufs = SmolVlmConverter.convert(SMOLVLM, dir.resolve("smolvlm"), GgmlType.F32, "tiny");
    }

    static Path convert(String id, Path folder, Path out) throws Exception {
        ModelConverter converter = ModelConverter.byId(id);
        try (HfCheckpoint ckpt = HfCheckpoint.open(folder)) {
            TypePolicy policy = new TypePolicy(GgmlType.F32);
            converter.adjust(policy);
            ConversionPlan plan = new ConversionPlan(policy);
            converter.plan(ckpt, plan);
            plan.write(out, item -> {});
        }
        return out;
    }

    @Test
    void theServiceLoaderFindsOneProviderPerTask() {
        List<ModelProvider> providers = ServiceLoader.load(ModelProvider.class).stream().map(ServiceLoader.Provider::get).toList();
        assertThat(providers).extracting(ModelProvider::task).containsExactlyInAnyOrder(Task.UNDERSTAND, Task.IMAGE, Task.VIDEO);
        assertThat(providers).extracting(ModelProvider::family).containsExactlyInAnyOrder("smolvlm2", "amused", "ltx-video");
    }

    @Test
    void eachProviderClaimsExactlyItsOwnModels() throws Exception {
        Path notAModel = Files.writeString(dir.resolve("notes.gguf"), "hello");
        List<Path> amused = List.of(AMUSED, amusedGguf);
        List<Path> ltx = List.of(LTX, ltxGguf);
        List<Path> smolvlm = List.of(SMOLVLM, smolvlmGgufs.textModel(), dir.resolve("smolvlm"));
        List<Path> none = List.of(smolvlmGgufs.mmproj(), FIXTURES.resolve("smolvlm2/checkpoint"), FIXTURES, notAModel, dir.resolve("missing.gguf"));
        check(new AmusedProvider(), amused, concat(ltx, smolvlm, none));
        check(new LtxProvider(), ltx, concat(amused, smolvlm, none));
        check(new SmolVlmProvider(), smolvlm, concat(amused, ltx, none));
    }

    private static void check(ModelProvider provider, List<Path> own, List<Path> others) {
        for (Path p : own) assertThat(provider.canOpen(p)).as("%s opens %s", provider.family(), p).isTrue();
        for (Path p : others) assertThat(provider.canOpen(p)).as("%s refuses %s", provider.family(), p).isFalse();
    }

    @SafeVarargs
    private static List<Path> concat(List<Path>... lists) {
        return java.util.Arrays.stream(lists).flatMap(List::stream).toList();
    }
}
