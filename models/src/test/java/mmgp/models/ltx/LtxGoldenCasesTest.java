package mmgp.models.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import mmgp.bindings.NativeLibraries;
import mmgp.check.CaseResult;
import mmgp.check.FixtureCases;
import mmgp.check.FixtureRunner;
import mmgp.convert.ConversionPlan;
import mmgp.convert.HfCheckpoint;
import mmgp.convert.ModelConverter;
import mmgp.convert.TypePolicy;
import mmgp.graph.ComputeBackend;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every case of the LTX-Video 0.9.0 golden fixture, end to end included, as `mmgp check` runs them; and from a converted F32 GGUF. */
class LtxGoldenCasesTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/ltx_video");

    @BeforeAll
    static void libs() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"ltx_video", "ltx_video_095"})
    void everyCasePassesFromTheHuggingFaceFolder(String name) throws Exception {
        FixtureCases fixture = FixtureCases.load(FIXTURE.resolveSibling(name));
        FixtureRunner runner = FixtureRunner.forModel(fixture.model());
        List<String> failures = new ArrayList<>();
        try (ComputeBackend backend = ComputeBackend.cpu(2)) {
            for (FixtureCases.Case c : fixture.cases()) {
                CaseResult r = runner.run(fixture, c, backend);
                if (!r.passed()) failures.add(c.name() + ": " + r.error() + " " + r.comparisons());
            }
        }
        assertThat(fixture.cases()).extracting(FixtureCases.Case::name).contains("e2e_nocfg", "transformer", "vae_decode");
        assertThat(failures).isEmpty();
    }

    @Test
    void theConvertedGgufGivesTheSameVideo(@TempDir Path tmp) throws Exception {
        Path gguf = tmp.resolve("ltx.gguf");
        ModelConverter converter = ModelConverter.byId("ltx");
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"))) {
            TypePolicy policy = new TypePolicy(GgmlType.F32);
            converter.adjust(policy);
            ConversionPlan plan = new ConversionPlan(policy);
            converter.plan(ckpt, plan);
            plan.write(gguf, item -> {});
        }
        FixtureCases fixture = FixtureCases.load(FIXTURE);
        try (ComputeBackend backend = ComputeBackend.cpu(2); LtxModel fromGguf = LtxModel.open(gguf, backend);
             LtxModel fromFolder = LtxModel.open(FIXTURE.resolve("checkpoint"), backend)) {
            var o = LtxTestOptions.of(9, 64, 64, 2, 3f, 32, 5);
            var a = LtxPipeline.generate(fromGguf, backend, List.of("a red car"), o, mmgp.api.ProgressListener.NONE);
            var b = LtxPipeline.generate(fromFolder, backend, List.of("a red car"), o, mmgp.api.ProgressListener.NONE);
            assertThat(a.pixels()).containsExactly(b.pixels());
            assertThat(a.frames()).isEqualTo(9);
            // Same seed, same video; another seed, another video.
            var c = LtxPipeline.generate(fromFolder, backend, List.of("a red car"), o.withSeed(6), mmgp.api.ProgressListener.NONE);
            assertThat(c.pixels()).isNotEqualTo(b.pixels());
        }
        assertThat(fixture.model()).isEqualTo("ltx_video");
    }
}
