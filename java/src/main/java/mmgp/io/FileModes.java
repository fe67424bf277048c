package mmgp.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * Gives files and folders made through {@link Files#createTempFile} / {@link Files#createTempDirectory}
 * (owner-only, 0600 / 0700, whatever the umask) the permissions a plain create would have had
 * under the process umask, once they are renamed into their final place: a model registry
 * shared with a service account must be readable by it when the umask says so.
 *
 * <p>Java cannot read the umask; the modes are learned once by creating a probe file and folder
 * next to the first path fixed. On a file system without POSIX permissions nothing changes.
 */
public final class FileModes {
    private static volatile Set<PosixFilePermission> fileMode, dirMode;

    private FileModes() {}

    /** Sets {@code path} (a file or a folder, not followed into) to the umask's default mode for its kind. */
    public static void applyUmask(Path path) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
        if (view == null) return;
        learn(path.toAbsolutePath().getParent());
        Set<PosixFilePermission> mode = Files.isDirectory(path) ? dirMode : fileMode;
        // chmod with the rwx bits alone would clear setgid: a folder inheriting a shared group
        // (a registry shared with a service account) must keep passing it on to the files within.
        if (Files.getFileStore(path).supportsFileAttributeView("unix")) {
            int old = (Integer) Files.getAttribute(path, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(path, "unix:mode", (old & 07000) | bits(mode));
        } else {
            view.setPermissions(mode);
        }
    }

    private static int bits(Set<PosixFilePermission> mode) {
        int bits = 0;
        for (PosixFilePermission p : mode) bits |= 0400 >> p.ordinal(); // OWNER_READ … OTHERS_EXECUTE in rwxrwxrwx order
        return bits;
    }

    private static synchronized void learn(Path dir) throws IOException {
        if (fileMode != null) return;
        Path probeFile = dir.resolve(".mmgp-umask-probe-" + ProcessHandle.current().pid());
        Path probeDir = dir.resolve(".mmgp-umask-probe-dir-" + ProcessHandle.current().pid());
        try {
            Files.deleteIfExists(probeFile);
            Files.deleteIfExists(probeDir);
            Set<PosixFilePermission> f = Files.getPosixFilePermissions(Files.createFile(probeFile));
            Set<PosixFilePermission> d = Files.getPosixFilePermissions(Files.createDirectory(probeDir));
            dirMode = d;
            fileMode = f;
        } finally {
            Files.deleteIfExists(probeFile);
            Files.deleteIfExists(probeDir);
        }
    }
}
