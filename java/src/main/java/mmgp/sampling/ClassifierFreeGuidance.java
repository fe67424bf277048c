package mmgp.sampling;

import static mmgp.tensor.FloatLanes.F32;
import static mmgp.tensor.FloatLanes.ORDER;
import static mmgp.tensor.FloatLanes.SPECIES;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * Classifier-free guidance mix {@code out = uncond + scale * (cond - uncond)}, for logits and for any float
 * tensor (latents, noise predictions). The operations and their rounding are the ones of the diffusers
 * pipelines (subtract, multiply, add; no fused multiply-add), so the vector and scalar paths agree exactly
 * and match torch bit for bit. {@code out} may be the same segment as {@code uncond} or {@code cond}.
 */
public final class ClassifierFreeGuidance {

    private ClassifierFreeGuidance() {
    }

    /** Vector API path over {@code n} floats of each segment. */
    public static void mix(MemorySegment uncond, MemorySegment cond, MemorySegment out, long n, float scale) {
        long lanes = SPECIES.length();
        long upper = n - n % lanes;
        for (long i = 0; i < upper; i += lanes) {
            FloatVector u = FloatVector.fromMemorySegment(SPECIES, uncond, 4L * i, ORDER);
            FloatVector c = FloatVector.fromMemorySegment(SPECIES, cond, 4L * i, ORDER);
            u.add(c.sub(u).mul(scale)).intoMemorySegment(out, 4L * i, ORDER);
        }
        for (long i = upper; i < n; i++) {
            float u = uncond.getAtIndex(F32, i);
            out.setAtIndex(F32, i, u + scale * (cond.getAtIndex(F32, i) - u));
        }
    }

    /** Scalar reference path. */
    public static void mixScalar(MemorySegment uncond, MemorySegment cond, MemorySegment out, long n, float scale) {
        for (long i = 0; i < n; i++) {
            float u = uncond.getAtIndex(F32, i);
            out.setAtIndex(F32, i, u + scale * (cond.getAtIndex(F32, i) - u));
        }
    }

    public static void mix(float[] uncond, float[] cond, float[] out, float scale) {
        if (uncond.length != cond.length || out.length != cond.length) {
            throw new IllegalArgumentException("lengths differ: uncond " + uncond.length + ", cond " + cond.length
                    + ", out " + out.length);
        }
        mix(MemorySegment.ofArray(uncond), MemorySegment.ofArray(cond), MemorySegment.ofArray(out),
                out.length, scale);
    }
}
