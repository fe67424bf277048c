package mmgp.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import mmgp.registry.ModelRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileModesTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void posix() {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "no POSIX permissions here");
    }

    @Test
    void temporaryFilesAndFoldersGetWhatAPlainCreateGets() throws Exception {
        var plainFile = Files.getPosixFilePermissions(Files.createFile(tmp.resolve("plain")));
        var plainDir = Files.getPosixFilePermissions(Files.createDirectory(tmp.resolve("plain-dir")));
        Path file = Files.createTempFile(tmp, "x", ".partial");
        Path dir = Files.createTempDirectory(tmp, "staging-");
        FileModes.applyUmask(file);
        FileModes.applyUmask(dir);
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(plainFile);
        assertThat(Files.getPosixFilePermissions(dir)).isEqualTo(plainDir);
        try (var left = Files.list(tmp)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("umask-probe"));
        }
    }

    @Test
    void aWrittenGgufAndARegistryStagingFolderFollowTheUmask() throws Exception {
        var plainFile = Files.getPosixFilePermissions(Files.createFile(tmp.resolve("plain")));
        var plainDir = Files.getPosixFilePermissions(Files.createDirectory(tmp.resolve("plain-dir")));
        Path gguf = tmp.resolve("m.gguf");
        new mmgp.gguf.GgufWriter().write(gguf);
        assertThat(Files.getPosixFilePermissions(gguf)).isEqualTo(plainFile);
        Path staging = ModelRegistry.open(tmp.resolve("models")).newStaging("amused-256");
        assertThat(Files.getPosixFilePermissions(staging)).isEqualTo(plainDir);
    }

    @Test
    void aSetgidFolderKeepsItsSetgidBit() throws Exception {
        assumeTrue(Files.getFileStore(tmp).supportsFileAttributeView("unix"), "no unix:mode here");
        Path dir = Files.createTempDirectory(tmp, "shared-");
        int before = (Integer) Files.getAttribute(dir, "unix:mode");
        Files.setAttribute(dir, "unix:mode", before | 02000);
        FileModes.applyUmask(dir);
        int after = (Integer) Files.getAttribute(dir, "unix:mode");
        assertThat(after & 02000).as("setgid").isEqualTo(02000);
        var plainDir = Files.getPosixFilePermissions(Files.createDirectory(tmp.resolve("plain-dir-2")));
        assertThat(Files.getPosixFilePermissions(dir)).isEqualTo(plainDir);
    }
}
