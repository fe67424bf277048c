package mmgp.sampling;

import static mmgp.tensor.FloatLanes.F32;
import static mmgp.tensor.FloatLanes.ORDER;
import static mmgp.tensor.FloatLanes.SPECIES;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Sets to {@code -inf} every logit that ranks below a boundary token in the order (value descending, then
 * index descending): those with a smaller value, and those equal to it at a smaller index. With the boundary
 * index at 0 that is a plain {@code value < threshold} cut, as HF's top-k. Returns how many logits survive.
 * The boundary value must not be NaN or {@code +inf}.
 */
final class LogitMask {

    private static final float FILTERED = Float.NEGATIVE_INFINITY;

    private LogitMask() {
    }

    /** Vector API path. */
    static int keepFrom(MemorySegment logits, int n, float boundaryValue, int boundaryIndex) {
        int lanes = SPECIES.length();
        int upper = SPECIES.loopBound(n);
        int dropped = 0;
        for (int i = 0; i < upper; i += lanes) {
            if (i < boundaryIndex && i + lanes > boundaryIndex) {
                for (int j = i; j < i + lanes; j++) { // the one chunk the boundary index splits
                    dropped += dropScalar(logits, j, boundaryValue, boundaryIndex);
                }
                continue;
            }
            // Before the boundary index, equal values go too: x < nextUp(b) is x <= b. One compare, no mask
            // merge, keeps C2 from boxing the mask.
            float cut = i < boundaryIndex ? Math.nextUp(boundaryValue) : boundaryValue;
            FloatVector v = FloatVector.fromMemorySegment(SPECIES, logits, 4L * i, ORDER);
            VectorMask<Float> drop = v.compare(VectorOperators.LT, cut);
            if (drop.anyTrue()) {
                v.blend(FILTERED, drop).intoMemorySegment(logits, 4L * i, ORDER);
                dropped += drop.trueCount();
            }
        }
        for (int i = upper; i < n; i++) {
            dropped += dropScalar(logits, i, boundaryValue, boundaryIndex);
        }
        return n - dropped;
    }

    /** Scalar reference path. */
    static int keepFromScalar(MemorySegment logits, int n, float boundaryValue, int boundaryIndex) {
        int dropped = 0;
        for (int i = 0; i < n; i++) {
            dropped += dropScalar(logits, i, boundaryValue, boundaryIndex);
        }
        return n - dropped;
    }

    private static int dropScalar(MemorySegment logits, int i, float boundaryValue, int boundaryIndex) {
        float v = logits.getAtIndex(F32, i);
        if (v < boundaryValue || (v == boundaryValue && i < boundaryIndex)) {
            logits.setAtIndex(F32, i, FILTERED);
            return 1;
        }
        return 0;
    }
}
