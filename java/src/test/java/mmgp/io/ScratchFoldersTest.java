package mmgp.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScratchFoldersTest {
    @Test
    void onlyFoldersWhoseOwnerIsGoneAreRemoved(@TempDir Path tmp) throws Exception {
        Path held = ScratchFolders.create("mmgp-scratch-test-");
        try {
            Path dead = Files.createDirectories(tmp.resolve("mmgp-smolvlm-dead"));
            Files.writeString(dead.resolve(ScratchFolders.LOCK), ""); // a lock file nobody holds: its process was killed
            Files.writeString(dead.resolve("model.gguf"), "converted");
            Path oldUnlocked = Files.createDirectories(tmp.resolve("mmgp-smolvlm-old"));
            Files.setLastModifiedTime(oldUnlocked, FileTime.from(Instant.parse("2026-01-01T00:00:00Z")));
            Path newUnlocked = Files.createDirectories(tmp.resolve("mmgp-smolvlm-new")); // maybe being created right now
            Path other = Files.createDirectories(tmp.resolve("something-else"));
            assertThat(ScratchFolders.removeStale(tmp, "mmgp-smolvlm-", Instant.now().minus(ScratchFolders.UNLOCKED_GRACE))).isEqualTo(2);
            assertThat(dead).doesNotExist();
            assertThat(oldUnlocked).doesNotExist();
            assertThat(newUnlocked).exists();
            assertThat(other).exists();
            // a folder this process holds is never taken, even when its lock is asked for again
            assertThat(ScratchFolders.removeStale(held.getParent(), "mmgp-scratch-test-", Instant.now())).isZero();
            assertThat(held).exists();
        } finally {
            ScratchFolders.delete(held);
        }
        assertThat(held).doesNotExist();
    }
}
