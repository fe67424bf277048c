package mmgp.cli;

import picocli.CommandLine.Option;

/** {@code --threads}: the compute threads, shared by the verbs that run a model or a kernel on this machine (check has its own). */
public final class ThreadsOption {
    @Option(names = "--threads", defaultValue = "0", description = "Compute threads (0 = one per core).")
    int threads;

    /** As given: 0 leaves the choice to the backend (one per core). */
    public int threads() {
        return threads;
    }

    /** The count to use: as given, else one per core. */
    public int resolved() {
        return threads > 0 ? threads : Math.max(1, Runtime.getRuntime().availableProcessors());
    }
}
