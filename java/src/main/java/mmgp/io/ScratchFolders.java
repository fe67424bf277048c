package mmgp.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Temporary folders (a model converted on the fly) that a killed process cannot leave behind for
 * good: each holds a {@value #LOCK} file locked for as long as its owner uses it, so a later start
 * can tell a dead process's folder (the lock is free) from a live one's, and deletes it.
 */
public final class ScratchFolders {
    static final String LOCK = ".mmgp-lock";
    /** A folder without a lock file (made by an older version, or killed before locking) counts as stale only after this long. */
    static final Duration UNLOCKED_GRACE = Duration.ofMinutes(10);
    private static final System.Logger LOG = System.getLogger(ScratchFolders.class.getName());
    private static final Map<Path, FileChannel> HELD = new ConcurrentHashMap<>();

    private ScratchFolders() {}

    /** A new folder in the system temp folder, locked until {@link #delete}. */
    public static Path create(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        FileChannel channel = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            if (channel.tryLock() == null) throw new IOException("could not lock the new scratch folder " + dir);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        HELD.put(dir, channel);
        return dir;
    }

    /** Releases the lock of {@code dir} and deletes it; what cannot be deleted stays, with a warning. */
    public static void delete(Path dir) {
        FileChannel channel = HELD.remove(dir);
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // the lock goes with the channel either way
            }
        }
        deleteTree(dir);
    }

    /**
     * Deletes the folders named {@code prefix}* in the system temp folder whose owner is gone: the
     * lock is free, or (no lock file) untouched for {@link #UNLOCKED_GRACE}. Returns how many.
     */
    public static int removeStale(String prefix) {
        return removeStale(Path.of(System.getProperty("java.io.tmpdir")), prefix, Instant.now().minus(UNLOCKED_GRACE));
    }

    static int removeStale(Path parent, String prefix, Instant unlockedBefore) {
        int removed = 0;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(parent, prefix + "*")) {
            for (Path dir : dirs) {
                if (!Files.isDirectory(dir) || HELD.containsKey(dir) || !isStale(dir, unlockedBefore)) continue;
                deleteTree(dir);
                if (!Files.exists(dir)) {
                    removed++;
                    LOG.log(System.Logger.Level.INFO, "removed the scratch folder " + dir + " of a process that is gone");
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "could not look for stale scratch folders in " + parent + ": " + e);
        }
        return removed;
    }

    private static boolean isStale(Path dir, Instant unlockedBefore) throws IOException {
        Path lock = dir.resolve(LOCK);
        if (!Files.exists(lock)) return Files.getLastModifiedTime(dir).toInstant().isBefore(unlockedBefore);
        try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.WRITE)) {
            FileLock l = channel.tryLock();
            if (l == null) return false; // another process holds it
            l.release();
            return true;
        } catch (OverlappingFileLockException e) {
            return false; // this process holds it
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                if (!p.toFile().delete() && Files.exists(p)) LOG.log(System.Logger.Level.WARNING, "could not delete the temporary file " + p);
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            LOG.log(System.Logger.Level.WARNING, "could not delete the temporary folder " + root + ": " + e);
        }
    }
}
