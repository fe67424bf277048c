package mmgp.sampling;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;

/**
 * Measures the bytes one warm {@link TokenSampler} decode step allocates, in a JVM of its own: C2 only
 * scalarizes Vector API objects when it inlines them, and profiles polluted by other tests (kernels called
 * mostly with tiny inputs, whose vector loops look cold) can stop that, so an in-suite measurement would
 * depend on test order. Prints the smallest per-100-steps figure over several rounds.
 */
public final class DecodeStepAllocationProbe {

    private DecodeStepAllocationProbe() {
    }

    public static void main(String[] args) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int n = 4096;
        float[] logits = RandomArrays.gaussian(5, n, 4.0);
        SamplingParameters parameters = new SamplingParameters(0.8f, 40, 0.9f, 0.02f, 1.2f);
        int[] history = {1, 2, 3, 99};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment source = arena.allocate(4L * n);
            MemorySegment.copy(logits, 0, source, ValueLayout.JAVA_FLOAT, 0, n);
            MemorySegment work = arena.allocate(4L * n);
            TokenSampler sampler = new TokenSampler(n);
            Rng rng = new SplitMix64Rng(1);
            long allocated = Long.MAX_VALUE;
            for (int round = 0; round < 40 && allocated > 0; round++) {
                for (int i = 0; i < 500; i++) {
                    MemorySegment.copy(source, 0, work, 0, 4L * n);
                    sampler.sample(work, n, parameters, history, history.length, rng);
                }
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 100; i++) {
                    MemorySegment.copy(source, 0, work, 0, 4L * n);
                    sampler.sample(work, n, parameters, history, history.length, rng);
                }
                allocated = Math.min(allocated, threads.getCurrentThreadAllocatedBytes() - before);
            }
            System.out.println("allocated=" + allocated);
        }
    }
}
