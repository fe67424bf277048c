package mmgp.sampling;

import static mmgp.tensor.FloatLanes.F32;
import static mmgp.tensor.FloatLanes.ORDER;
import static mmgp.tensor.FloatLanes.SPECIES;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Index of the largest of {@code n} floats; on ties the first such index, as {@code torch.argmax}. This is
 * greedy decoding. Inputs must not contain NaN.
 */
public final class Argmax {

    private Argmax() {
    }

    /** Vector API path: a max reduction, then a scan for the first lane equal to it. */
    public static int argmax(MemorySegment x, int n) {
        float max = Maximum.of(x, n);
        int lanes = SPECIES.length();
        int upper = SPECIES.loopBound(n);
        for (int i = 0; i < upper; i += lanes) {
            FloatVector v = FloatVector.fromMemorySegment(SPECIES, x, 4L * i, ORDER);
            int lane = v.compare(VectorOperators.EQ, max).firstTrue();
            if (lane < lanes) {
                return i + lane;
            }
        }
        for (int i = upper; i < n; i++) {
            if (x.getAtIndex(F32, i) == max) {
                return i;
            }
        }
        throw new AssertionError("maximum " + max + " not found again");
    }

    /** Scalar reference path. */
    public static int argmaxScalar(MemorySegment x, int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("need at least one value, got " + n);
        }
        int best = 0;
        float max = x.getAtIndex(F32, 0);
        for (int i = 1; i < n; i++) {
            float v = x.getAtIndex(F32, i);
            if (v > max) {
                max = v;
                best = i;
            }
        }
        return best;
    }

    public static int argmax(float[] x) {
        return argmax(MemorySegment.ofArray(x), x.length);
    }
}
