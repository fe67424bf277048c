package mmgp.models.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import mmgp.api.ProgressListener;
import mmgp.bindings.NativeLibraries;
import mmgp.check.CaseResult;
import mmgp.check.FixtureCases;
import mmgp.check.FixtureRunner;
import mmgp.check.TensorComparison;
import mmgp.graph.ComputeBackend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LTXImageToVideoPipeline's golden (ltx_video_095 e2e_i2v) and the image-to-video pipeline's own contracts. */
class LtxImageToVideoTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/ltx_video_095");

    @BeforeAll
    static void libs() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
    }

    @Test
    void theImageToVideoGoldenPassesWithEveryStep() throws Exception {
        FixtureCases fixture = FixtureCases.load(FIXTURE);
        FixtureCases.Case c = fixture.cases().stream().filter(k -> k.name().equals("e2e_i2v")).findFirst().orElseThrow();
        try (ComputeBackend backend = ComputeBackend.cpu(2)) {
            CaseResult r = FixtureRunner.forModel(fixture.model()).run(fixture, c, backend);
            for (TensorComparison t : r.comparisons()) {
                System.out.printf("e2e_i2v %-36s max abs %.3e  %s %s%n", t.name(), t.maxAbs(), t.passed() ? "ok" : "FAIL", t.detail());
            }
            assertThat(r.error()).isNull();
            assertThat(r.comparisons()).extracting(TensorComparison::name)
                    .contains("video", "steps.transformer_timestep", "steps.latents_in", "steps.noise_pred_guided", "steps.decode_input_z");
            assertThat(r.passed()).as(r.comparisons().toString()).isTrue();
        }
    }
}
