package mmgp.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Not enough room on disk for a download or a conversion; never retried. */
public final class DiskSpaceException extends IOException {
    public DiskSpaceException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Bytes free for this user on the file system holding {@code path} (its nearest existing ancestor), -1 if unknown. */
    public static long usableSpace(Path path) {
        try {
            Path p = path.toAbsolutePath();
            while (p != null && !Files.exists(p)) p = p.getParent();
            return p == null ? -1 : Files.getFileStore(p).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    /** Throws when fewer than {@code needed} bytes are free at {@code path}. */
    public static void require(Path path, long needed, String forWhat) throws DiskSpaceException {
        require(path, needed, usableSpace(path), forWhat);
    }

    /** Throws when {@code free} (bytes free at {@code path}, -1 if unknown) is less than {@code needed}. */
    public static void require(Path path, long needed, long free, String forWhat) throws DiskSpaceException {
        if (free >= 0 && free < needed) {
            throw new DiskSpaceException(String.format(java.util.Locale.ROOT, "not enough disk space for %s: needs %s, %s free at %s (choose another folder with --models or MMGP_MODELS)",
                    forWhat, human(needed), human(free), path), null);
        }
    }

    /** A write failed: say so as a disk-space problem when the disk is (nearly) full, else pass the error on. */
    static IOException onWriteFailure(Path file, IOException e) {
        long free = usableSpace(file);
        String msg = String.valueOf(e.getMessage());
        if (msg.contains("No space left") || msg.contains("not enough space") || (free >= 0 && free < (1 << 20))) {
            return new DiskSpaceException("disk full while writing " + file + " (" + human(Math.max(free, 0)) + " free): " + msg, e);
        }
        return e;
    }

    public static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        if (bytes < 1L << 20) return String.format(java.util.Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        if (bytes < 1L << 30) return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
        return String.format(java.util.Locale.ROOT, "%.2f GiB", bytes / 1073741824.0);
    }
}
