package mmgp.registry;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Brings one hub file to {@code target}: bytes go to {@code target.part}; an interrupted transfer
 * resumes with a Range request (206 appends; 200 means the server ignored the range, so it starts
 * over); network errors and 5xx answers are retried with backoff; the finished file must match the
 * hub's checksum (sha256 for LFS files, git's blob sha1 for the rest) before it takes its final
 * name. A file already at its final name is hashed again and kept when it still matches.
 */
final class ResumableDownload {
    static final String PART_SUFFIX = ".part";
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final long PROGRESS_EVERY_NANOS = 250_000_000L;

    private final HubClient hub;
    private final String repo;
    private final String commit;
    private final HubFile file;
    private final Path target;
    private final Path part;
    private final PullListener listener;
    /**
     * Bytes of this file from before this run still in the part file: {@link #onDisk} at the
     * start (what the pull counted as already here), lowered when they are thrown away.
     */
    private long kept;

    /** Marks a failure writing the local file: retrying the network would not help. */
    private static final class LocalWriteFailure extends IOException {
        LocalWriteFailure(IOException cause) {
            super(cause);
        }
    }

    private ResumableDownload(HubClient hub, String repo, String commit, HubFile file, Path target, PullListener listener) {
        this.hub = hub;
        this.repo = repo;
        this.commit = commit;
        this.file = file;
        this.target = target;
        this.part = target.resolveSibling(target.getFileName() + PART_SUFFIX);
        this.listener = listener;
    }

    /** Downloads (or finds already downloaded) {@code file} at {@code target}; returns its content sha256. */
    static String fetch(HubClient hub, String repo, String commit, HubFile file, Path target, PullListener listener) throws IOException {
        return new ResumableDownload(hub, repo, commit, file, target, listener).run();
    }

    /** Bytes of a file already downloaded: all of it when its final file has the size, else what its .part holds (at most the size). */
    static long onDisk(Path target, long size) throws IOException {
        if (Files.isRegularFile(target) && Files.size(target) == size) return size;
        Path part = target.resolveSibling(target.getFileName() + PART_SUFFIX);
        return Files.isRegularFile(part) ? Math.min(size, Files.size(part)) : 0;
    }

    private String run() throws IOException {
        kept = onDisk(target, file.size());
        if (Files.isRegularFile(target) && Files.size(target) == file.size()) {
            // Hashed again rather than trusted: the file may have been altered since (or left by other tools).
            Checksums.Running sums = new Checksums.Running(file.size());
            sums.update(target);
            String sha256 = sums.sha256(), blob = sums.gitBlobSha1();
            if (matchesHub(sha256, blob)) {
                listener.fileDone(file.path(), file.size(), true);
                return sha256;
            }
            Files.delete(target); // same size, other bytes: fetch it again
        }
        Files.createDirectories(target.getParent());
        RetryPolicy retry = hub.retryPolicy();
        for (int attempt = 1; ; attempt++) {
            try {
                Checksums.Running sums = transfer();
                String sha256 = verify(sums);
                Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                listener.fileDone(file.path(), file.size(), false);
                return sha256;
            } catch (LocalWriteFailure e) {
                throw (IOException) e.getCause();
            } catch (IOException e) {
                if (!RetryPolicy.isTransient(e)) throw e;
                if (attempt >= retry.maxAttempts()) {
                    throw new IOException(repo + "/" + file.path() + ": giving up after " + attempt + " attempts: " + e.getMessage()
                            + " (run the pull again to resume from " + DiskSpaceException.human(partSize()) + ")", e);
                }
                listener.retrying(file.path(), attempt, String.valueOf(e.getMessage()));
                retry.pause(attempt);
            }
        }
    }

    /** One request: appends to the part file and returns the digests of the whole file once it is complete. */
    private Checksums.Running transfer() throws IOException {
        long have = partSize();
        if (have > file.size()) {
            Files.delete(part);
            have = 0;
        }
        Checksums.Running sums = new Checksums.Running(file.size());
        if (file.size() == 0) {
            Files.write(part, new byte[0]); // nothing to transfer, but the file must exist
            return sums;
        }
        if (have == file.size()) {
            sums.update(part);
            return sums;
        }
        HttpResponse<InputStream> r = hub.openFile(repo, commit, file.path(), have);
        boolean append = false;
        try (InputStream in = r.body()) {
            if (r.statusCode() == 416) {
                // Our partial file is not a prefix the server can continue: start over.
                Files.deleteIfExists(part);
                throw new IOException("the server cannot resume at byte " + have + " (416); starting over");
            }
            if (r.statusCode() == 206) {
                long start = rangeStart(r);
                if (start != have) {
                    Files.deleteIfExists(part);
                    throw new IOException("asked for bytes from " + have + " but the server sent them from " + start + "; starting over");
                }
                append = have > 0;
            }
            if (append) sums.update(part);
            else have = 0;
            if (have < kept) {
                // Bytes counted as already here were thrown away (a same-size file failing its hash, an
                // oversized part, a restart): the part only grows otherwise, so what is below `kept` is gone.
                listener.discarded(file.path(), kept - have);
                kept = have;
            }
            listener.fileStarted(file.path(), file.size(), have);
            copy(in, have, append, sums);
        }
        return sums;
    }

    private void copy(InputStream in, long have, boolean append, Checksums.Running sums) throws IOException {
        long size = file.size(), done = have, t0 = System.nanoTime(), lastReport = t0;
        AtomicLong lastBytesAt = new AtomicLong(t0);
        AtomicBoolean stalled = new AtomicBoolean();
        Thread reader = Thread.currentThread();
        long stallNanos = hub.retryPolicy().stallTimeout().toNanos();
        // A connection can stay open without sending anything; the watchdog interrupts the blocked read.
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    Thread.sleep(Math.max(10, Math.min(5000, stallNanos / 4_000_000)));
                    if (System.nanoTime() - lastBytesAt.get() > stallNanos) {
                        stalled.set(true);
                        reader.interrupt();
                        return;
                    }
                }
            } catch (InterruptedException ignored) {
                // the transfer ended
            }
        });
        try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[1 << 16];
            while (true) {
                int n;
                try {
                    n = in.read(buf);
                } catch (IOException e) {
                    if (stalled.get()) throw new IOException("no data for " + hub.retryPolicy().stallTimeout().toMillis() / 1000.0 + " s after " + done + " of " + size + " bytes");
                    throw new IOException("connection lost after " + done + " of " + size + " bytes: " + e.getMessage(), e);
                }
                if (n < 0) break;
                lastBytesAt.set(System.nanoTime());
                if (done + n > size) {
                    Files.deleteIfExists(part);
                    throw new ChecksumMismatchException(repo + "/" + file.path() + "@" + commit + ": the server sent more than the listed " + size + " bytes");
                }
                try {
                    out.write(buf, 0, n);
                } catch (IOException e) {
                    if (stalled.get()) throw new IOException("the transfer stalled and was interrupted at " + done + " of " + size + " bytes");
                    throw new LocalWriteFailure(DiskSpaceException.onWriteFailure(part, e));
                }
                sums.update(buf, 0, n);
                done += n;
                long now = System.nanoTime();
                if (now - lastReport > PROGRESS_EVERY_NANOS || done == size) {
                    listener.fileProgress(file.path(), done, size, (done - have) / Math.max(1e-9, (now - t0) / 1e9));
                    lastReport = now;
                }
            }
        } finally {
            watchdog.interrupt();
            try {
                watchdog.join();
            } catch (InterruptedException e) {
                // our interrupt flag was already set (by the watchdog, checked below, or by the caller)
                Thread.currentThread().interrupt();
            }
            // The watchdog may have fired just as the read returned: do not leak its interrupt.
            if (stalled.get()) Thread.interrupted();
        }
        if (done < size) throw new IOException("connection closed after " + done + " of " + size + " bytes");
    }

    /** Whether content with these digests is the file the hub lists (sha256 for LFS files, git blob sha1 for the rest). */
    private boolean matchesHub(String sha256, String gitBlobSha1) {
        return file.isLfs() ? file.lfsSha256().equalsIgnoreCase(sha256) : file.gitOid().equalsIgnoreCase(gitBlobSha1);
    }

    private String verify(Checksums.Running sums) throws IOException {
        String sha256 = sums.sha256(), blob = sums.gitBlobSha1();
        if (!matchesHub(sha256, blob)) {
            String expected = file.isLfs() ? file.lfsSha256() : file.gitOid();
            String actual = file.isLfs() ? sha256 : blob;
            Files.deleteIfExists(part);
            String kind = file.isLfs() ? "sha256" : "git blob sha1";
            throw new ChecksumMismatchException(repo + "/" + file.path() + "@" + commit + ": checksum mismatch: the hub lists " + kind + " "
                    + expected + " but the downloaded bytes hash to " + actual + "; the download was deleted (run the pull again)");
        }
        return sha256;
    }

    private long rangeStart(HttpResponse<InputStream> r) throws IOException {
        String header = r.headers().firstValue("Content-Range").orElseThrow(() -> new IOException("206 without Content-Range for " + file.path()));
        Matcher m = CONTENT_RANGE.matcher(header.strip());
        if (!m.matches()) throw new IOException("bad Content-Range '" + header + "' for " + file.path());
        if (!m.group(3).equals("*") && Long.parseLong(m.group(3)) != file.size()) {
            // Another version of the file than the one listed: appending to our part would mix the two.
            Files.deleteIfExists(part);
            throw new ChecksumMismatchException(repo + "/" + file.path() + "@" + commit + ": the server's file has " + m.group(3)
                    + " bytes, the listing says " + file.size());
        }
        return Long.parseLong(m.group(1));
    }

    private long partSize() throws IOException {
        return Files.exists(part) ? Files.size(part) : 0;
    }
}
