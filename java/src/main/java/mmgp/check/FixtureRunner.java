package mmgp.check;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import mmgp.graph.ComputeBackend;

/**
 * Runs the cases of one model's fixture folders through the engine. Each model registers one
 * in {@code META-INF/services/mmgp.check.FixtureRunner}; it must read every size and config
 * from the fixture (never from one fixture's values) so other tiny configs work unchanged.
 */
public interface FixtureRunner {
    /** The {@code model} value of cases.json this runner understands (e.g. "amused"). */
    String model();

    /** Whether this runner understands fixtures of {@code model} (by default: exactly {@link #model()}). */
    default boolean handles(String model) {
        return model().equals(model);
    }

    /** Runs one case; the comparisons say what matched. Throwing marks the case failed with the message. */
    CaseResult run(FixtureCases fixture, FixtureCases.Case c, ComputeBackend backend) throws Exception;

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
