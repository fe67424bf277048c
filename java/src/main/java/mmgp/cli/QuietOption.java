package mmgp.cli;

import picocli.CommandLine.Option;

/** {@code -q/--quiet}: no progress output, for the verbs whose only other output is their result. */
public final class QuietOption {
    @Option(names = {"-q", "--quiet"}, description = "No progress output.")
    boolean quiet;

    public boolean quiet() {
        return quiet;
    }
}
