package mmgp.models.amused;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import mmgp.bindings.NativeLibraries;
import mmgp.check.CaseResult;
import mmgp.check.FixtureCases;
import mmgp.check.FixtureRunner;
import mmgp.graph.ComputeBackend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every case of the aMUSEd golden fixture, end to end included, through the same runner as `mmgp check`. */
class AmusedGoldenCasesTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/amused");

    @BeforeAll
    static void libs() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
    }

    @Test
    void everyCasePassesFromTheHuggingFaceFolder() throws Exception {
        FixtureCases fixture = FixtureCases.load(FIXTURE);
        FixtureRunner runner = FixtureRunner.forModel(fixture.model());
        assertThat(runner).isInstanceOf(AmusedFixtureRunner.class);
        List<String> failures = new ArrayList<>();
        try (ComputeBackend backend = ComputeBackend.cpu(2)) {
            for (FixtureCases.Case c : fixture.cases()) {
                CaseResult r = runner.run(fixture, c, backend);
                if (!r.passed()) failures.add(c.name() + ": " + r.error() + " " + r.comparisons());
            }
        }
        assertThat(fixture.cases()).extracting(FixtureCases.Case::name).contains("e2e_cfg", "e2e_nocfg", "transformer", "vqvae_decode");
        assertThat(failures).isEmpty();
    }
}
