package mmgp.check;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import mmgp.graph.ComputeBackend;
import mmgp.safetensors.SafetensorsFile;

/**
 * Runs the cases of one model's fixture folders through the engine. Each model registers one
 * in {@code META-INF/services/mmgp.check.FixtureRunner}; it must read every size and config
 * from the fixture (never from one fixture's values) so other tiny configs work unchanged.
 */
public interface FixtureRunner {
    /** The {@code model} values of cases.json this runner understands (e.g. "amused"); the first names the runner. */
    List<String> models();

    /** The runner's name: its first fixture model. */
    default String model() {
        return models().getFirst();
    }

    /** Whether this runner understands fixtures of {@code model}. */
    default boolean handles(String model) {
        return models().contains(model);
    }

    /** Runs one case; the comparisons say what matched. Throwing marks the case failed with the message. */
    CaseResult run(FixtureCases fixture, FixtureCases.Case c, ComputeBackend backend) throws Exception;

    /** The checks of one case, adding their comparisons to {@code out}. */
    @FunctionalInterface
    interface Checks {
        void run(SafetensorsFile golden, List<TensorComparison> out) throws Exception;
    }

    /** Runs {@code checks} against the case's golden file, open for their duration, and times them. */
    static CaseResult timed(FixtureCases.Case c, Checks checks) throws Exception {
        long t0 = System.nanoTime();
        List<TensorComparison> out = new ArrayList<>();
        try (SafetensorsFile golden = SafetensorsFile.open(c.file())) {
            checks.run(golden, out);
        }
        return new CaseResult(c.name(), out, null, (System.nanoTime() - t0) / 1e9);
    }

    static List<FixtureRunner> available() {
        List<FixtureRunner> all = new ArrayList<>();
        ServiceLoader.load(FixtureRunner.class).forEach(all::add);
        return all;
    }

    static FixtureRunner forModel(String model) {
        List<FixtureRunner> all = available();
        return all.stream().filter(r -> r.handles(model)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "no golden-case runner for model '" + model + "' in this build (runners: " + all.stream().map(FixtureRunner::model).toList() + ")"));
    }
}
