package mmgp.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The CPU's F32 vector-FMA peak under JMH (one thread per JMH thread; run with -t 2 for two cores):
 * its gflop counter is the ceiling MatMulBench's gflop counters are read against.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class PeakFlopsBench {
    private static final long ITERATIONS = 100_000;

    @Benchmark
    public float fmaPeak(FlopCounter flops) {
        flops.gflop += PeakFlops.flopsPerCall(ITERATIONS) / 1e9;
        return PeakFlops.fmaChains(ITERATIONS);
    }
}
