package mmgp.cli;

import java.nio.file.Path;
import java.util.Collection;
import mmgp.engine.Engine;
import mmgp.engine.MemoryBudget;
import picocli.CommandLine.Option;

/** The cost limits of the verbs that serve requests (serve, worker): the engine refuses what cannot fit before queuing it. */
final class AdmissionOptions {
    @Option(names = "--memory-budget", converter = ByteSizeConverter.class, paramLabel = "SIZE",
            description = "Most memory one batch may use beyond the mapped weights, e.g. 8GiB; larger requests are refused (413) "
                    + "and batches kept within it (default: the RAM minus the model files, the Java heap and a tenth).")
    Long memoryBudget;

    @Option(names = "--max-request-seconds", defaultValue = "3600", paramLabel = "SECONDS",
            description = "Most estimated compute time one request may take, from its FLOPs at this machine's calibrated rate "
                    + "(0 = no limit; default: ${DEFAULT-VALUE}).")
    double maxRequestSeconds;

    /** Sets the limits on {@code engine} serving {@code models}; returns the memory budget in force. */
    long apply(Engine.Builder engine, Collection<Path> models) {
        if (memoryBudget != null && memoryBudget < 1) throw new IllegalArgumentException("--memory-budget must be positive, got " + memoryBudget);
        if (!(maxRequestSeconds >= 0)) throw new IllegalArgumentException("--max-request-seconds must be 0 (no limit) or positive, got " + maxRequestSeconds);
        long budget = memoryBudget != null ? memoryBudget : MemoryBudget.derive(models);
        engine.memoryBudget(budget).maxRequestSeconds(maxRequestSeconds);
        return budget;
    }
}
