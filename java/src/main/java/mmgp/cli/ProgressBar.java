package mmgp.cli;

import java.io.PrintStream;
import mmgp.api.ProgressListener;

/** A one-line progress bar on stderr, redrawn per step, plus a line per finished stage. */
public final class ProgressBar implements ProgressListener {
    private final PrintStream out;
    private final boolean quiet;

    public ProgressBar(PrintStream out, boolean quiet) {
        this.out = out;
        this.quiet = quiet;
    }

    @Override
    public void step(String stage, int done, int total, double seconds) {
        if (quiet) return;
        int width = 30, filled = total == 0 ? width : done * width / total;
        out.printf("\r%-8s [%s%s] %d/%d  %.2f s/step", stage, "#".repeat(filled), " ".repeat(width - filled), done, total, seconds);
        if (done == total) out.println();
    }

    @Override
    public void stage(String stage, double seconds) {
        if (!quiet) out.printf("%-8s %.3f s%n", stage, seconds);
    }
}
