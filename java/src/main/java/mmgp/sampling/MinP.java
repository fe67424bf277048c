package mmgp.sampling;

import static mmgp.tensor.FloatLanes.F32;
import static mmgp.tensor.FloatLanes.ORDER;
import static mmgp.tensor.FloatLanes.SPECIES;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Min-p filtering as HF's MinPLogitsWarper (min_tokens_to_keep = 1): a token is dropped (logit set to
 * {@code -inf}) when its probability is below {@code minP * max probability}, the product taken in float as
 * torch does. The most likely token always satisfies the bound, so at least one survives and no sort is
 * needed.
 */
public final class MinP {

    private static final float FILTERED = Float.NEGATIVE_INFINITY;

    private float[] probabilities = new float[0];
    private MemorySegment probabilitySegment = MemorySegment.ofArray(probabilities);

    /** Vector API path; returns the number of logits kept. */
    public int apply(MemorySegment logits, int n, float minP) {
        float bound = bound(logits, n, minP, true);
        int lanes = SPECIES.length();
        int upper = SPECIES.loopBound(n);
        int dropped = 0;
        for (int i = 0; i < upper; i += lanes) {
            VectorMask<Float> drop = FloatVector.fromMemorySegment(SPECIES, probabilitySegment, 4L * i, ORDER)
                    .compare(VectorOperators.LT, bound);
            if (drop.anyTrue()) {
                FloatVector.fromMemorySegment(SPECIES, logits, 4L * i, ORDER).blend(FILTERED, drop)
                        .intoMemorySegment(logits, 4L * i, ORDER);
                dropped += drop.trueCount();
            }
        }
        for (int i = upper; i < n; i++) {
            dropped += dropIfBelow(logits, i, bound);
        }
        return n - dropped;
    }

    /** Scalar reference path. */
    public int applyScalar(MemorySegment logits, int n, float minP) {
        float bound = bound(logits, n, minP, false);
        int dropped = 0;
        for (int i = 0; i < n; i++) {
            dropped += dropIfBelow(logits, i, bound);
        }
        return n - dropped;
    }

    public int apply(float[] logits, float minP) {
        return apply(MemorySegment.ofArray(logits), logits.length, minP);
    }

    /** Fills the probabilities and returns {@code minP * max probability}. */
    private float bound(MemorySegment logits, int n, float minP, boolean vectorized) {
        if (!(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("min-p must be in [0, 1]: " + minP);
        }
        if (probabilities.length < n) {
            probabilities = new float[n];
            probabilitySegment = MemorySegment.ofArray(probabilities);
        }
        if (vectorized) {
            Softmax.softmax(logits, probabilitySegment, n);
            return minP * Maximum.of(probabilitySegment, n);
        }
        Softmax.softmaxScalar(logits, probabilitySegment, n);
        return minP * Maximum.ofScalar(probabilitySegment, n);
    }

    private int dropIfBelow(MemorySegment logits, int i, float bound) {
        if (probabilities[i] < bound) {
            logits.setAtIndex(F32, i, FILTERED);
            return 1;
        }
        return 0;
    }
}
