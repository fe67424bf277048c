package mmgp.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskSpaceExceptionTest {
    @Test
    void aDownloadLargerThanTheFreeSpaceIsRefusedUpFront(@TempDir Path tmp) throws Exception {
        assertThatThrownBy(() -> DiskSpaceException.require(tmp.resolve("not/yet/there"), Long.MAX_VALUE / 2, "the download of x/y"))
                .isInstanceOf(DiskSpaceException.class).hasMessageContaining("not enough disk space for the download of x/y")
                .hasMessageContaining("free at").hasMessageContaining("--models");
        DiskSpaceException.require(tmp, 1, "one byte");
    }

    @Test
    void aFullDiskWriteErrorBecomesADiskSpaceError(@TempDir Path tmp) {
        IOException full = DiskSpaceException.onWriteFailure(tmp.resolve("f.part"), new IOException("No space left on device"));
        assertThat(full).isInstanceOf(DiskSpaceException.class).hasMessageContaining("disk full while writing").hasMessageContaining("f.part");
        assertThat(RetryPolicy.isTransient(full)).as("never retried").isFalse();
        IOException other = new IOException("Permission denied");
        assertThat(DiskSpaceException.onWriteFailure(tmp.resolve("f.part"), other)).isSameAs(other);
    }

    @Test
    void humanSizes() {
        assertThat(DiskSpaceException.human(512)).isEqualTo("512 B");
        assertThat(DiskSpaceException.human(3L << 20)).isEqualTo("3.0 MiB");
        assertThat(DiskSpaceException.human(7_890_000_000L)).isEqualTo("7.35 GiB");
    }
}
