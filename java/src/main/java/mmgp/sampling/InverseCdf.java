package mmgp.sampling;

import static mmgp.tensor.FloatLanes.F32;
import static mmgp.tensor.FloatLanes.ORDER;
import static mmgp.tensor.FloatLanes.SPECIES;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Categorical sampling by inverse CDF: given unnormalized weights {@code w} (native-order floats, none
 * negative) and a uniform {@code u} in [0, 1), returns the first index {@code i} whose cumulative weight
 * exceeds {@code u * sum(w)}. An index of weight zero is never returned.
 *
 * <p>The vector path sums blocks of {@value #BLOCK} weights in float lanes (accumulated across blocks in
 * double), skips whole blocks while walking, and walks only the block that holds the target one weight at a
 * time; the scalar reference accumulates every weight in double. The two can differ only when the target
 * falls within rounding distance of a cumulative boundary.
 */
public final class InverseCdf {

    /** A multiple of every lane count; short enough that the block walked one by one stays cheap. */
    private static final int BLOCK = 256;

    private InverseCdf() {
    }

    /** Vector API path. */
    public static int sample(MemorySegment weights, int n, double u) {
        requireArguments(n, u);
        int blocks = n / BLOCK;
        double total = 0;
        FloatVector smallest = FloatVector.broadcast(SPECIES, Float.POSITIVE_INFINITY);
        for (int b = 0; b < blocks; b++) {
            FloatVector acc = FloatVector.zero(SPECIES);
            for (int i = b * BLOCK; i < (b + 1) * BLOCK; i += SPECIES.length()) {
                FloatVector v = FloatVector.fromMemorySegment(SPECIES, weights, 4L * i, ORDER);
                acc = acc.add(v);
                smallest = smallest.min(v); // min propagates NaN
            }
            total += acc.reduceLanes(VectorOperators.ADD);
        }
        float min = smallest.reduceLanes(VectorOperators.MIN);
        for (int i = blocks * BLOCK; i < n; i++) {
            float w = weights.getAtIndex(F32, i);
            total += w;
            min = Math.min(min, w);
        }
        requireValid(min, total, n);

        double target = u * total;
        double cumulative = 0;
        for (int b = 0; b < blocks; b++) {
            float blockSum = blockSum(weights, b * BLOCK);
            if (cumulative + blockSum > target) {
                return walk(weights, b * BLOCK, (b + 1) * BLOCK, cumulative, target);
            }
            cumulative += blockSum;
        }
        if (blocks * BLOCK < n) {
            return walk(weights, blocks * BLOCK, n, cumulative, target);
        }
        return lastPositive(weights, n); // target at the very top of the CDF, by rounding
    }

    /** Scalar reference path. */
    public static int sampleScalar(MemorySegment weights, int n, double u) {
        requireArguments(n, u);
        double total = 0;
        float min = Float.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            float w = weights.getAtIndex(F32, i);
            total += w;
            min = Math.min(min, w);
        }
        requireValid(min, total, n);
        return walk(weights, 0, n, 0, u * total);
    }

    /**
     * First index in {@code [from, to)} where the running sum passes {@code target}; if rounding keeps it from
     * passing, the last positive weight of the range (the caller knows the range holds the target).
     */
    private static int walk(MemorySegment weights, int from, int to, double cumulative, double target) {
        int lastPositive = -1;
        for (int i = from; i < to; i++) {
            float w = weights.getAtIndex(F32, i);
            if (w > 0) {
                cumulative += w;
                lastPositive = i;
                if (cumulative > target) {
                    return i;
                }
            }
        }
        return lastPositive >= 0 ? lastPositive : lastPositive(weights, to);
    }

    private static float blockSum(MemorySegment weights, int from) {
        FloatVector acc = FloatVector.zero(SPECIES);
        for (int i = from; i < from + BLOCK; i += SPECIES.length()) {
            acc = acc.add(FloatVector.fromMemorySegment(SPECIES, weights, 4L * i, ORDER));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static int lastPositive(MemorySegment weights, int to) {
        for (int i = to - 1; i >= 0; i--) {
            if (weights.getAtIndex(F32, i) > 0) {
                return i;
            }
        }
        throw new AssertionError("validated weights have a positive entry");
    }

    private static void requireArguments(int n, double u) {
        if (n <= 0) {
            throw new IllegalArgumentException("need at least one weight, got " + n);
        }
        if (!(u >= 0 && u < 1)) {
            throw new IllegalArgumentException("u must be in [0, 1): " + u);
        }
    }

    private static void requireValid(float min, double total, int n) {
        if (!(min >= 0)) {
            throw new IllegalArgumentException("weights must be non-negative and not NaN; found " + min);
        }
        if (!(total > 0) || Double.isInfinite(total)) {
            throw new IllegalArgumentException("weights must have a positive, finite sum over " + n + "; got " + total);
        }
    }
}
