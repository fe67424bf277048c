package mmgp.bench.e2e;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the numbers were measured on, for the report's header. */
public record Machine(String cpu, int cores, long memoryBytes, String os, String java) {

    public static Machine current() {
        long memory = ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os ? os.getTotalMemorySize() : -1;
        return new Machine(cpuName(), Runtime.getRuntime().availableProcessors(), memory,
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    }

    /** The CPU's model name (/proc/cpuinfo), else the architecture's name. */
    public static String cpuName() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).strip();
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through to the architecture name
        }
        return System.getProperty("os.arch");
    }

    /**
     * The 1-, 5- and 15-minute load averages (/proc/loadavg), empty where there are none: other load on
     * the machine lowers every figure, so reports state it.
     */
    public static List<String> loadAverages() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+");
            return f.length >= 3 ? List.of(f[0], f[1], f[2]) : List.of();
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /** The 1-minute load average, or {@code absent} where there is none. */
    public static String loadAverage(String absent) {
        List<String> all = loadAverages();
        return all.isEmpty() ? absent : all.getFirst();
    }
}
