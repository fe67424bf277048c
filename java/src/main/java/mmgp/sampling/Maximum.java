package mmgp.sampling;

import static mmgp.tensor.FloatLanes.F32;
import static mmgp.tensor.FloatLanes.ORDER;
import static mmgp.tensor.FloatLanes.SPECIES;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** Largest of {@code n} floats (native byte order). Inputs must not contain NaN. */
public final class Maximum {

    private Maximum() {
    }

    /** Vector API path; four accumulators hide the latency of the max instruction. */
    public static float of(MemorySegment x, int n) {
        requirePositive(n);
        int lanes = SPECIES.length();
        int upper = SPECIES.loopBound(n);
        int upper4 = n - n % (4 * lanes);
        float max = Float.NEGATIVE_INFINITY;
        if (upper > 0) {
            FloatVector a = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
            FloatVector b = a;
            FloatVector c = a;
            FloatVector d = a;
            int i = 0;
            for (; i < upper4; i += 4 * lanes) {
                a = a.max(FloatVector.fromMemorySegment(SPECIES, x, 4L * i, ORDER));
                b = b.max(FloatVector.fromMemorySegment(SPECIES, x, 4L * (i + lanes), ORDER));
                c = c.max(FloatVector.fromMemorySegment(SPECIES, x, 4L * (i + 2 * lanes), ORDER));
                d = d.max(FloatVector.fromMemorySegment(SPECIES, x, 4L * (i + 3 * lanes), ORDER));
            }
            for (; i < upper; i += lanes) {
                a = a.max(FloatVector.fromMemorySegment(SPECIES, x, 4L * i, ORDER));
            }
            max = a.max(b).max(c.max(d)).reduceLanes(VectorOperators.MAX);
        }
        for (int i = upper; i < n; i++) {
            max = Math.max(max, x.getAtIndex(F32, i));
        }
        return max;
    }

    /** Scalar reference path. */
    public static float ofScalar(MemorySegment x, int n) {
        requirePositive(n);
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x.getAtIndex(F32, i));
        }
        return max;
    }

    private static void requirePositive(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("need at least one value, got " + n);
        }
    }
}
