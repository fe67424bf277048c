package mmgp.cli.service;

import java.nio.file.Path;
import java.util.Collection;
import mmgp.cli.ByteSizeConverter;
import mmgp.engine.Engine;
import mmgp.engine.MemoryBudget;
import picocli.CommandLine.Option;

/**
 * The cost and size limits of the verbs that run models for requests (serve, worker): the engine
 * refuses what cannot fit before queuing it. Both verbs share them, so a cluster's workers cap
 * sizes at the model's native size exactly as a single-node server does.
 */
final class AdmissionOptions {
    @Option(names = "--memory-budget", converter = ByteSizeConverter.class, paramLabel = "SIZE",
            description = "Most memory one batch may use beyond the mapped weights, e.g. 8GiB; larger requests are refused (413) "
                    + "and batches kept within it; 0 = no budget (default: the RAM minus the model files, the Java heap and a tenth).")
    Long memoryBudget;

    @Option(names = "--max-width", defaultValue = "0", description = "Widest image/video (default: 0, the model's native width).")
    int maxWidth;

    @Option(names = "--max-height", defaultValue = "0", description = "Tallest image/video (default: 0, the model's native height).")
    int maxHeight;

    @Option(names = "--max-steps", defaultValue = "50",
            description = "Most denoising steps a request may run, the model's own default included (default: ${DEFAULT-VALUE}).")
    int maxSteps;

    @Option(names = "--max-request-seconds", defaultValue = "3600", paramLabel = "SECONDS",
            description = "Most estimated compute time one request may take, from its FLOPs at this machine's calibrated rate "
                    + "(0 = no limit; default: ${DEFAULT-VALUE}).")
    double maxRequestSeconds;

    /** Sets the limits on {@code engine} serving {@code models}; returns the memory budget in force (0: none). */
    long apply(Engine.Builder engine, Collection<Path> models) {
        if (memoryBudget != null && memoryBudget < 0) throw new IllegalArgumentException("--memory-budget must be 0 (no budget) or positive, got " + memoryBudget);
        if (!(maxRequestSeconds >= 0)) throw new IllegalArgumentException("--max-request-seconds must be 0 (no limit) or positive, got " + maxRequestSeconds);
        if (maxWidth < 0) throw new IllegalArgumentException("--max-width must be 0 (the model's native width) or positive, got " + maxWidth);
        if (maxHeight < 0) throw new IllegalArgumentException("--max-height must be 0 (the model's native height) or positive, got " + maxHeight);
        if (maxSteps < 1) throw new IllegalArgumentException("--max-steps must be positive, got " + maxSteps);
        long budget = memoryBudget != null ? memoryBudget : MemoryBudget.derive(models);
        engine.memoryBudget(budget).maxRequestSeconds(maxRequestSeconds).maxSize(maxWidth, maxHeight).maxSteps(maxSteps);
        return budget;
    }
}
