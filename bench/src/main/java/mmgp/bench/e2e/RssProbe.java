package mmgp.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Peak resident memory (VmHWM) from Linux's /proc: each benchmark configuration runs in its own process,
 * so that process's high-water mark is the configuration's peak RSS, mapped weight pages included.
 */
public final class RssProbe {
    private RssProbe() {}

    /** This process's VmHWM in bytes, or -1 where /proc is not available (macOS, Windows). */
    public static long selfPeakBytes() {
        return peakBytes("self");
    }

    /** VmHWM of a running process in bytes, or -1 when it has exited or /proc is not available. */
    public static long peakBytes(long pid) {
        return peakBytes(Long.toString(pid));
    }

    private static long peakBytes(String pid) {
        Path status = Path.of("/proc", pid, "status");
        try {
            return parseVmHwm(Files.readString(status));
        } catch (IOException | RuntimeException e) {
            return -1; // gone or unreadable: no figure rather than a wrong one
        }
    }

    /** The VmHWM line of a /proc/PID/status text ("VmHWM:   123456 kB") in bytes, -1 if absent. */
    static long parseVmHwm(String statusText) {
        for (String line : statusText.split("\n")) {
            if (line.startsWith("VmHWM:")) {
                String[] parts = line.substring(6).trim().split("\\s+");
                long value = Long.parseLong(parts[0]);
                if (parts.length < 2 || !parts[1].equals("kB")) {
                    throw new IllegalArgumentException("unexpected VmHWM unit in '" + line + "'");
                }
                return value * 1024;
            }
        }
        return -1;
    }
}
