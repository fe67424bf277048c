package mmgp.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;
import mmgp.registry.DiskSpaceException;
import mmgp.registry.PullListener;

/**
 * A pull's progress on stderr: per file its bytes, and for the whole download the bytes done of
 * the total, the average rate of this run (bytes actually transferred: cached files and the resumed
 * part of a file do not count), the elapsed time and an estimate of the time left (the bytes still
 * to transfer at that rate); a line per phase, finished file and retry.
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

    // The whole download, from downloadStarted; total < 0 until then. startOnDisk: bytes that were on disk
    // before this run (cached files and partial ones, anywhere in the list), less those discarded since; onDiskReached: how much of it
    // belongs to files reached so far, so startOnDisk - onDiskReached still waits in later files.
    private long total = -1, startOnDisk, onDiskReached, finished, startNanos;
    // Bytes transferred in this run: by finished files, and by the current file's earlier attempts.
    private long transferred, fileTransferred;
    // The file being transferred (null between files) and where its current attempt started.
    private String current;
    private long attemptFrom, currentDone;
    // What the current file added to onDiskReached (its first attempt's resumed bytes).
    private long currentOnDisk;
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
        onDiskReached = 0;
        finished = 0;
        transferred = 0;
        current = null;
        startNanos = clock.getAsLong();
    }

    @Override
    public synchronized void fileStarted(String path, long size, long resumedFrom) {
        attempt(path, resumedFrom);
        if (mode == ProgressBar.Mode.NONE || resumedFrom == 0) return;
        endLine();
        out.printf("  resuming %s at %s of %s%n", path, DiskSpaceException.human(resumedFrom), DiskSpaceException.human(size));
    }

    @Override
    public synchronized void fileProgress(String path, long done, long size, double bytesPerSecond) {
        if (!path.equals(current)) attempt(path, 0); // progress with no fileStarted: a transfer from byte 0
        currentDone = done;
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
            // Only what came over the network in this run: not cached files, nor a resumed file's old bytes.
            long moved = transferred + (path.equals(current) ? fileTransferred + Math.max(0, done - attemptFrom) : 0);
            rate = elapsed > 0 ? moved / elapsed : fileBytesPerSecond;
            // Still to transfer: the rest of this file and of the later ones, less what later files have on disk.
            left = Math.max(0, total - all - Math.max(0, startOnDisk - onDiskReached));
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
        if (path.equals(current)) {
            transferred += fileTransferred + Math.max(0, currentDone - attemptFrom);
        } else {
            onDiskReached += size; // never transferred: cached, or its part file was already complete
        }
        current = null;
        if (mode == ProgressBar.Mode.NONE) return;
        String line = String.format(Locale.ROOT, "  %-40s %10s %s", shorten(path, 40), DiskSpaceException.human(size), cached ? "already downloaded" : "verified");
        // Replaces the file's progress line, padded to cover it.
        out.println((openLine > 0 ? "\r" : "") + line + " ".repeat(Math.max(0, openLine - line.length())));
        openLine = 0;
        lastPlainFile = null;
    }

    /** Bytes counted as on disk that are gone: they are still to transfer (the remaining bytes and the ETA grow back). */
    @Override
    public synchronized void discarded(String path, long bytes) {
        long reached = path.equals(current) ? Math.min(bytes, currentOnDisk) : 0; // already taken off by this file's earlier attempt
        onDiskReached -= reached;
        if (path.equals(current)) currentOnDisk -= reached;
        startOnDisk = Math.max(0, startOnDisk - bytes);
    }

    @Override
    public synchronized void retrying(String path, int attempt, String reason) {
        if (mode == ProgressBar.Mode.NONE) return;
        endLine();
        out.printf("  %s: attempt %d failed (%s); retrying%n", path, attempt, reason);
    }

    /** A transfer of {@code path} starts at {@code from}: a new file, or another attempt at the current one. */
    private void attempt(String path, long from) {
        if (path.equals(current)) {
            fileTransferred += Math.max(0, currentDone - attemptFrom);
        } else {
            current = path;
            fileTransferred = 0;
            onDiskReached += from; // what an earlier run left of it
            currentOnDisk = from;
        }
        attemptFrom = from;
        currentDone = from;
    }

    private void endLine() {
        if (openLine > 0) out.println();
        openLine = 0;
    }

    private static String shorten(String path, int width) {
        return path.length() <= width ? path : "…" + path.substring(path.length() - (width - 1));
    }
}
