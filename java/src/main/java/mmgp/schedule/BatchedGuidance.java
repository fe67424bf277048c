package mmgp.schedule;

import java.lang.foreign.MemorySegment;
import mmgp.sampling.ClassifierFreeGuidance;

/**
 * Classifier-free guidance over a model output computed for a doubled batch, laid out as the diffusers
 * pipelines build it: the unconditional half first, then the conditional half ({@code noise_pred.chunk(2)}).
 * Writes {@code uncond + scale * (cond - uncond)} for one half's worth of floats. {@code out} may be the
 * batched segment itself, so the result overwrites the unconditional half in place.
 */
public final class BatchedGuidance {

    private BatchedGuidance() {
    }

    /** Vector API path; {@code halfLength} floats per half. */
    public static void combine(MemorySegment batched, long halfLength, float scale, MemorySegment out) {
        ClassifierFreeGuidance.mix(batched, batched.asSlice(4L * halfLength), out, halfLength, scale);
    }

    /** Scalar reference path. */
    public static void combineScalar(MemorySegment batched, long halfLength, float scale, MemorySegment out) {
        ClassifierFreeGuidance.mixScalar(batched, batched.asSlice(4L * halfLength), out, halfLength, scale);
    }

    /** Returns a new array of {@code batched.length / 2} guided values. */
    public static float[] combine(float[] batched, float scale) {
        if (batched.length % 2 != 0) {
            throw new IllegalArgumentException("a doubled batch has an even length, got " + batched.length);
        }
        float[] out = new float[batched.length / 2];
        combine(MemorySegment.ofArray(batched), out.length, scale, MemorySegment.ofArray(out));
        return out;
    }
}
