package mmgp.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RssProbeTest {
    @Test
    void parsesVmHwmInKilobytes() {
        String status = "Name:\tjava\nVmPeak:\t 9000 kB\nVmHWM:\t  123456 kB\nVmRSS:\t 1000 kB\n";
        assertThat(RssProbe.parseVmHwm(status)).isEqualTo(123456L * 1024);
        assertThat(RssProbe.parseVmHwm("Name:\tjava\n")).isEqualTo(-1);
        assertThatThrownBy(() -> RssProbe.parseVmHwm("VmHWM:\t 12 MB\n")).hasMessageContaining("unit");
    }

    @Test
    void ownPeakCoversMemoryJustTouched() {
        assumeTrue(Files.exists(Path.of("/proc/self/status")), "needs Linux /proc");
        byte[] block = new byte[64 << 20];
        java.util.Arrays.fill(block, (byte) 1); // touch every page
        assertThat(RssProbe.selfPeakBytes()).isGreaterThan(64L << 20);
        assertThat(RssProbe.peakBytes(ProcessHandle.current().pid())).isGreaterThan(64L << 20);
        assertThat(block[block.length - 1]).isEqualTo((byte) 1);
    }
}
