package mmgp.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A JMH secondary result: benchmarks add the GFLOP each invocation did, and in throughput mode JMH
 * reports the sum per second, i.e. GFLOP/s, next to ops/s.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class FlopCounter {
    public double gflop;

    @Setup(Level.Iteration)
    public void clear() {
        gflop = 0;
    }
}
