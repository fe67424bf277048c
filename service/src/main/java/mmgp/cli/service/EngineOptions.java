package mmgp.cli.service;

import java.util.Set;
import mmgp.api.Task;
import mmgp.cli.NumericsOption;
import mmgp.cli.ThreadsOption;
import mmgp.engine.Engine;
import picocli.CommandLine.Mixin;

/**
 * What serve and worker both give their engine: each task's model (explicit, installed or A/B
 * variants), the compute threads and kernel routes, and the admission limits.
 */
final class EngineOptions {
    @Mixin
    ModelChoice modelChoice = new ModelChoice();

    @Mixin
    AbOptions abOptions = new AbOptions();

    @Mixin
    AdmissionOptions admission = new AdmissionOptions();

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Mixin
    NumericsOption numerics = new NumericsOption();

    /** The tasks an engine was configured for and the memory budget per batch in force (0: none). */
    record Configured(Set<Task> tasks, long memoryBudget) {}

    /** A builder with the compute options and at most {@code maxBatch} requests per model call. */
    Engine.Builder builder(int maxBatch) {
        return Engine.builder().threads(threads.threads()).numerics(numerics.numerics()).maxBatch(maxBatch);
    }

    /**
     * Gives {@code engine} the models of {@code tasks} (every task with a model, when empty; see
     * {@link AbOptions#configure}) and then the admission limits, which depend on those models' files.
     */
    Configured configure(Engine.Builder engine, Set<Task> tasks) throws Exception {
        Set<Task> run = abOptions.configure(modelChoice, engine, tasks);
        return new Configured(run, admission.apply(engine, abOptions.configuredModels()));
    }

    /** Loads each of {@code tasks}' models now rather than on the first request, saying so on stdout. */
    static void load(Engine engine, Set<Task> tasks) {
        for (Task t : tasks) {
            System.out.println("  loading the " + t.label() + " model…");
            engine.load(t);
        }
    }
}
