package mmgp.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * This CPU's measured F32 peak: every thread runs independent chains of vector fused multiply-adds
 * (enough chains to hide the FMA latency), nothing touches memory. Matmul GFLOP/s are reported as a
 * fraction of this figure, so "40% of peak" means the same thing on any machine. It is the F32 peak:
 * Q8_0 matmuls run on int8 dot-product instructions and may go above 100% of it.
 */
public final class PeakFlops {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Independent accumulators per thread: two FMA ports × ~4-5 cycles latency needs about ten. */
    private static final int CHAINS = 12;

    private PeakFlops() {}

    /** FLOPs of one {@link #fmaChains} call of {@code iterations}: 2 per lane per FMA. */
    static double flopsPerCall(long iterations) {
        return 2.0 * SPECIES.length() * CHAINS * iterations;
    }

    /** The FMA kernel; returns a value depending on every chain so the JIT cannot drop any. */
    static float fmaChains(long iterations) {
        FloatVector a = FloatVector.broadcast(SPECIES, 0.999999f), b = FloatVector.broadcast(SPECIES, 1e-7f);
        FloatVector c0 = FloatVector.broadcast(SPECIES, 1f), c1 = c0.add(1), c2 = c0.add(2), c3 = c0.add(3), c4 = c0.add(4), c5 = c0.add(5);
        FloatVector c6 = c0.add(6), c7 = c0.add(7), c8 = c0.add(8), c9 = c0.add(9), c10 = c0.add(10), c11 = c0.add(11);
        for (long i = 0; i < iterations; i++) {
            c0 = c0.fma(a, b); c1 = c1.fma(a, b); c2 = c2.fma(a, b); c3 = c3.fma(a, b);
            c4 = c4.fma(a, b); c5 = c5.fma(a, b); c6 = c6.fma(a, b); c7 = c7.fma(a, b);
            c8 = c8.fma(a, b); c9 = c9.fma(a, b); c10 = c10.fma(a, b); c11 = c11.fma(a, b);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    /** GFLOP/s of {@code threads} threads running the kernel at once, best of a few rounds after warm-up. */
    public static double measure(int threads) {
        for (int i = 0; i < 20; i++) fmaChains(200_000); // C2-compile the kernel first
        long iterations = 100_000_000; // ~0.3 s a round: long enough to ride out a scheduler hiccup
        double best = 0;
        for (int round = 0; round < 5; round++) best = Math.max(best, round(threads, iterations)); // best: other load only lowers it
        return best;
    }

    private static double round(int threads, long iterations) {
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        List<Thread> workers = new ArrayList<>();
        float[] sink = new float[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread w = Thread.ofPlatform().start(() -> {
                await(start);
                sink[id] = fmaChains(iterations);
            });
            workers.add(w);
        }
        await(start);
        long t0 = System.nanoTime();
        for (Thread w : workers) {
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while measuring the peak", e);
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        if (Float.isNaN(sink[0])) throw new IllegalStateException("FMA chains diverged");
        return threads * flopsPerCall(iterations) / secs / 1e9;
    }

    private static void await(CyclicBarrier b) {
        try {
            b.await();
        } catch (Exception e) {
            throw new IllegalStateException("peak measurement threads did not start together", e);
        }
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        System.out.printf(Locale.ROOT, "measured F32 peak (%d-lane FMA, %d threads): %.1f GFLOP/s%n", SPECIES.length(), threads, measure(threads));
    }
}
