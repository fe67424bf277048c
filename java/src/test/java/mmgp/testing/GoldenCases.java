package mmgp.testing;

import static org.assertj.core.api.Assertions.assertThat;

import mmgp.check.CaseResult;
import mmgp.check.FixtureCases;
import mmgp.check.FixtureRunner;
import mmgp.check.TensorComparison;
import mmgp.graph.ComputeBackend;

/** The golden cases of a fixture folder (golden/cases.json) as the tests pick and run them. */
public final class GoldenCases {
    private GoldenCases() {}

    /** The case called {@code name}; fails naming the cases there are when there is none. */
    public static FixtureCases.Case named(FixtureCases fixture, String name) {
        return fixture.cases().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError(
                "no case " + name + " in " + fixture.model() + "; have " + fixture.cases().stream().map(FixtureCases.Case::name).toList()));
    }

    /**
     * Runs one case through the model's runner as {@code mmgp check} does, prints every comparison
     * (prefixed by {@code label}) and asserts that the case ran, compared something and passed each comparison.
     */
    public static CaseResult passing(String label, FixtureRunner runner, FixtureCases fixture, String name, ComputeBackend backend)
            throws Exception {
        CaseResult r = runner.run(fixture, named(fixture, name), backend);
        for (TensorComparison t : r.comparisons()) {
            System.out.printf("%s %-22s %-40s n=%-7d max|err| %.3e  max rel %.3e %s%n",
                    label, name, t.name(), t.elements(), t.maxAbs(), t.maxRel(), t.detail());
        }
        assertThat(r.error()).as(name).isNull();
        assertThat(r.comparisons()).as(name + " compares something").isNotEmpty();
        assertThat(r.comparisons()).as(name).allSatisfy(t -> assertThat(t.passed()).as(t.name() + " " + t.detail()).isTrue());
        assertThat(r.passed()).isTrue();
        return r;
    }

    /** The comparison of the tensor called {@code name} in a case's result. */
    public static TensorComparison comparison(CaseResult r, String name) {
        return r.comparisons().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError(
                r.caseName() + " compared no " + name + "; compared " + r.comparisons().stream().map(TensorComparison::name).toList()));
    }
}
