package mmgp.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.stream.Stream;

/**
 * The servers' default memory budget ({@link Engine.Builder#memoryBudget}): the machine's RAM
 * minus the weights the models map (their files' sizes: mapped pages stay resident while a
 * model computes) minus what the JVM's heap may take (results and request arrays live there),
 * less a tenth of the RAM for the system and everything else on the machine.
 */
public final class MemoryBudget {
    /** Never below this, so a machine short of RAM still runs small requests (and says so in its refusals). */
    static final long FLOOR = 256L << 20;

    private MemoryBudget() {}

    /** The default budget for serving {@code models} (GGUF files or model folders) on this machine. */
    public static long derive(Collection<Path> models) {
        return derive(physicalMemory(), weightBytes(models), Runtime.getRuntime().maxMemory());
    }

    /** RAM − weights − heap − RAM/10, at least {@link #FLOOR}. */
    static long derive(long ramBytes, long weightBytes, long heapBytes) {
        return Math.max(FLOOR, ramBytes - weightBytes - heapBytes - ramBytes / 10);
    }

    /** Total physical memory, as the operating system reports it. */
    static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) return os.getTotalMemorySize();
        return Runtime.getRuntime().maxMemory() * 4; // the JVM's default heap is a quarter of the RAM
    }

    /** Bytes of the models' files (a folder counts every file under it). */
    static long weightBytes(Collection<Path> models) {
        long sum = 0;
        for (Path p : models) {
            try {
                if (Files.isDirectory(p)) {
                    try (Stream<Path> files = Files.walk(p)) {
                        sum += files.filter(Files::isRegularFile).mapToLong(MemoryBudget::size).sum();
                    }
                } else {
                    sum += Files.size(p);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot size the model " + p, e);
            }
        }
        return sum;
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
