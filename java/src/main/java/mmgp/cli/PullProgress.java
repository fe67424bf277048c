package mmgp.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;
import mmgp.registry.DiskSpaceException;
import mmgp.registry.PullListener;

/**
 * A pull's progress on stderr: per file its bytes, and for the whole download the bytes done of
 * the total, the average rate of this run, the elapsed time and an estimate of the time left; a
 * line per phase, finished file and retry.
 *
 * <p>The modes are {@link ProgressBar}'s: a line redrawn in place on a terminal; in plain mode
 * (a file, a pipe, {@code --progress plain}) a new line per update, at most one every few
 * seconds besides each file's first; nothing with {@code --quiet}.
 */
final class PullProgress implements PullListener {
    private final PrintStream out;
    private final ProgressBar.Mode mode;
    private final LongSupplier clock;
    private final long plainIntervalNanos;
    private int openLine; // characters of the redrawn line on screen, 0 when none

    // The whole download, from downloadStarted; total < 0 until then.
    private long total = -1, startOnDisk, finished, startNanos;
    private long lastPlain;
    private String lastPlainFile;

    PullProgress(PrintStream out, boolean quiet) {
        this(out, quiet ? ProgressBar.Mode.NONE : ProgressBar.Mode.detect(), System::nanoTime, ProgressBar.PLAIN_INTERVAL_NANOS);
    }

    PullProgress(PrintStream out, ProgressBar.Mode mode, LongSupplier clock, long plainIntervalNanos) {
        this.out = out;
        this.mode = mode;
        this.clock = clock;
        this.plainIntervalNanos = plainIntervalNanos;
    }

    @Override
    public synchronized void phase(String phase, String detail) {
        if (mode == ProgressBar.Mode.NONE) return;
        endLine();
        out.printf("%-11s %s%n", phase, detail);
    }

    @Override
    public synchronized void downloadStarted(int files, long totalBytes, long bytesOnDisk) {
        total = totalBytes;
        startOnDisk = bytesOnDisk;
        finished = 0;
        startNanos = clock.getAsLong();
    }

    @Override
    public synchronized void fileStarted(String path, long size, long resumedFrom) {
        if (mode == ProgressBar.Mode.NONE || resumedFrom == 0) return;
        endLine();
        out.printf("  resuming %s at %s of %s%n", path, DiskSpaceException.human(resumedFrom), DiskSpaceException.human(size));
    }

    @Override
    public synchronized void fileProgress(String path, long done, long size, double bytesPerSecond) {
        if (mode == ProgressBar.Mode.NONE) return;
        long now = clock.getAsLong();
        String line = render(path, done, size, bytesPerSecond, now);
        if (mode == ProgressBar.Mode.BAR) {
            out.print("\r" + line + " ".repeat(Math.max(0, openLine - line.length())));
            openLine = line.length();
        } else if (!path.equals(lastPlainFile) || now - lastPlain >= plainIntervalNanos) {
            out.println(line);
            lastPlain = now;
            lastPlainFile = path;
        }
        out.flush();
    }

    /**
     * "  text_encoder/model.safetensors  12.0 MiB / 40.0 MiB  all 52.0 MiB / 80.0 MiB  8.5 MiB/s  elapsed 0:06  ETA 0:03";
     * before {@link #downloadStarted} (a listener used on its own) the file alone, at the file's rate.
     */
    String render(String path, long done, long size, double fileBytesPerSecond, long now) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "  %-40s %10s / %-10s", shorten(path, 40), DiskSpaceException.human(done),
                DiskSpaceException.human(size)));
        double rate, left;
        if (total >= 0) {
            long all = finished + done;
            double elapsed = Math.max(0, (now - startNanos) / 1e9);
            rate = elapsed > 0 ? Math.max(0, all - startOnDisk) / elapsed : fileBytesPerSecond;
            left = Math.max(0, total - all);
            b.append(String.format(Locale.ROOT, "  all %s / %s  %s/s  elapsed %s", DiskSpaceException.human(all), DiskSpaceException.human(total),
                    DiskSpaceException.human(Math.round(rate)), ProgressBar.clock(elapsed)));
        } else {
            rate = fileBytesPerSecond;
            left = Math.max(0, size - done);
            b.append(String.format(Locale.ROOT, "  %s/s", DiskSpaceException.human(Math.round(rate))));
        }
        if (left > 0 && rate > 0) b.append("  ETA ").append(ProgressBar.clock(left / rate));
        return b.toString();
    }

    @Override
    public synchronized void fileDone(String path, long size, boolean cached) {
        finished += size;
        if (mode == ProgressBar.Mode.NONE) return;
        String line = String.format(Locale.ROOT, "  %-40s %10s %s", shorten(path, 40), DiskSpaceException.human(size), cached ? "already downloaded" : "verified");
        // Replaces the file's progress line, padded to cover it.
        out.println((openLine > 0 ? "\r" : "") + line + " ".repeat(Math.max(0, openLine - line.length())));
        openLine = 0;
        lastPlainFile = null;
    }

    @Override
    public synchronized void retrying(String path, int attempt, String reason) {
        if (mode == ProgressBar.Mode.NONE) return;
        endLine();
        out.printf("  %s: attempt %d failed (%s); retrying%n", path, attempt, reason);
    }

    private void endLine() {
        if (openLine > 0) out.println();
        openLine = 0;
    }

    private static String shorten(String path, int width) {
        return path.length() <= width ? path : "…" + path.substring(path.length() - (width - 1));
    }
}
