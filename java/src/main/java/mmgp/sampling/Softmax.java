package mmgp.sampling;

import static mmgp.tensor.FloatLanes.F32;
import static mmgp.tensor.FloatLanes.ORDER;
import static mmgp.tensor.FloatLanes.SPECIES;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Softmax and log-softmax over {@code n} floats, numerically stable: the maximum is subtracted before
 * exponentiating, as torch does. {@code -inf} inputs get probability 0. {@code in} and {@code out} may be the
 * same segment. Inputs must not contain NaN or {@code +inf}.
 *
 * <p>Like torch's CPU kernel, probabilities are {@code exp(x - max) * (1 / sum)}. The vector path sums in
 * float lanes; the scalar reference sums in double, so the two agree to a few ulps, not bit for bit.
 */
public final class Softmax {

    private Softmax() {
    }

    /** Vector API path: {@code out[i] = exp(in[i] - max) / sum}. */
    public static void softmax(MemorySegment in, MemorySegment out, int n) {
        float max = Maximum.of(in, n);
        float inverse = 1f / exponentiate(in, out, n, max);
        int lanes = SPECIES.length();
        int upper = SPECIES.loopBound(n);
        for (int i = 0; i < upper; i += lanes) {
            FloatVector.fromMemorySegment(SPECIES, out, 4L * i, ORDER).mul(inverse)
                    .intoMemorySegment(out, 4L * i, ORDER);
        }
        for (int i = upper; i < n; i++) {
            out.setAtIndex(F32, i, out.getAtIndex(F32, i) * inverse);
        }
    }

    /** Scalar reference path of {@link #softmax(MemorySegment, MemorySegment, int)}. */
    public static void softmaxScalar(MemorySegment in, MemorySegment out, int n) {
        float max = Maximum.ofScalar(in, n);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(in.getAtIndex(F32, i) - max);
            out.setAtIndex(F32, i, e);
            sum += e;
        }
        float inverse = 1f / (float) sum;
        for (int i = 0; i < n; i++) {
            out.setAtIndex(F32, i, out.getAtIndex(F32, i) * inverse);
        }
    }

    /** Vector API path: {@code out[i] = in[i] - max - log(sum(exp(in - max)))}. */
    public static void logSoftmax(MemorySegment in, MemorySegment out, int n) {
        float max = Maximum.of(in, n);
        float logSum = (float) Math.log(sumOfExponentials(in, n, max));
        int lanes = SPECIES.length();
        int upper = SPECIES.loopBound(n);
        for (int i = 0; i < upper; i += lanes) {
            FloatVector.fromMemorySegment(SPECIES, in, 4L * i, ORDER).sub(max).sub(logSum)
                    .intoMemorySegment(out, 4L * i, ORDER);
        }
        for (int i = upper; i < n; i++) {
            out.setAtIndex(F32, i, in.getAtIndex(F32, i) - max - logSum);
        }
    }

    /**
     * Scalar reference path of {@link #logSoftmax(MemorySegment, MemorySegment, int)}:
     * {@code out[i] = in[i] - (max + log(sum))}, the sum of exponentials and the normalizer taken in double
     * and rounded to float once. Its result does not depend on the vector width (the vector path's float
     * lanes do), which is why {@link BeamSearch} ranks by it: the same beams on every CPU.
     */
    public static void logSoftmaxScalar(MemorySegment in, MemorySegment out, int n) {
        float max = Maximum.ofScalar(in, n);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(in.getAtIndex(F32, i) - max);
        }
        float logNormalizer = (float) (max + Math.log(sum));
        for (int i = 0; i < n; i++) {
            out.setAtIndex(F32, i, in.getAtIndex(F32, i) - logNormalizer);
        }
    }

    public static void softmax(float[] in, float[] out) {
        requireSameLength(in, out);
        softmax(MemorySegment.ofArray(in), MemorySegment.ofArray(out), in.length);
    }

    public static void logSoftmax(float[] in, float[] out) {
        requireSameLength(in, out);
        logSoftmax(MemorySegment.ofArray(in), MemorySegment.ofArray(out), in.length);
    }

    /** Writes {@code exp(in - max)} to {@code out} and returns the sum. */
    private static float exponentiate(MemorySegment in, MemorySegment out, int n, float max) {
        int lanes = SPECIES.length();
        int upper = SPECIES.loopBound(n);
        FloatVector acc = FloatVector.zero(SPECIES);
        for (int i = 0; i < upper; i += lanes) {
            FloatVector e = FloatVector.fromMemorySegment(SPECIES, in, 4L * i, ORDER).sub(max)
                    .lanewise(VectorOperators.EXP);
            e.intoMemorySegment(out, 4L * i, ORDER);
            acc = acc.add(e);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (int i = upper; i < n; i++) {
            float e = (float) Math.exp(in.getAtIndex(F32, i) - max);
            out.setAtIndex(F32, i, e);
            sum += e;
        }
        return sum;
    }

    private static float sumOfExponentials(MemorySegment in, int n, float max) {
        int lanes = SPECIES.length();
        int upper = SPECIES.loopBound(n);
        FloatVector acc = FloatVector.zero(SPECIES);
        for (int i = 0; i < upper; i += lanes) {
            acc = acc.add(FloatVector.fromMemorySegment(SPECIES, in, 4L * i, ORDER).sub(max)
                    .lanewise(VectorOperators.EXP));
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (int i = upper; i < n; i++) {
            sum += (float) Math.exp(in.getAtIndex(F32, i) - max);
        }
        return sum;
    }

    private static void requireSameLength(float[] in, float[] out) {
        if (in.length != out.length) {
            throw new IllegalArgumentException("input has " + in.length + " values, output " + out.length);
        }
    }
}
