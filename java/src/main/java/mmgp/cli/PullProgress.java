package mmgp.cli;

import java.io.PrintStream;
import mmgp.registry.DiskSpaceException;
import mmgp.registry.PullListener;

/** A pull's progress on stderr: one redrawn line per file (bytes, MB/s), a line per phase and retry. */
final class PullProgress implements PullListener {
    private final PrintStream out;
    private final boolean quiet;
    private boolean lineOpen;

    PullProgress(PrintStream out, boolean quiet) {
        this.out = out;
        this.quiet = quiet;
    }

    @Override
    public void phase(String phase, String detail) {
        if (quiet) return;
        endLine();
        out.printf("%-11s %s%n", phase, detail);
    }

    @Override
    public void fileStarted(String path, long size, long resumedFrom) {
        if (quiet || resumedFrom == 0) return;
        endLine();
        out.printf("  resuming %s at %s of %s%n", path, DiskSpaceException.human(resumedFrom), DiskSpaceException.human(size));
    }

    @Override
    public void fileProgress(String path, long done, long size, double bytesPerSecond) {
        if (quiet) return;
        out.printf("\r  %-60s %10s / %-10s %7.1f MB/s", shorten(path), DiskSpaceException.human(done), DiskSpaceException.human(size), bytesPerSecond / 1e6);
        lineOpen = true;
    }

    @Override
    public void fileDone(String path, long size, boolean cached) {
        if (quiet) return;
        // Replaces the file's progress line, padded to cover it.
        out.printf("%s  %-60s %10s %-30s%n", lineOpen ? "\r" : "", shorten(path), DiskSpaceException.human(size), cached ? "already downloaded" : "verified");
        lineOpen = false;
    }

    @Override
    public void retrying(String path, int attempt, String reason) {
        if (quiet) return;
        endLine();
        out.printf("  %s: attempt %d failed (%s); retrying%n", path, attempt, reason);
    }

    private void endLine() {
        if (lineOpen) out.println();
        lineOpen = false;
    }

    private static String shorten(String path) {
        return path.length() <= 60 ? path : "…" + path.substring(path.length() - 59);
    }
}
