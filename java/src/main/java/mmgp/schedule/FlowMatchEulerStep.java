package mmgp.schedule;

import java.lang.foreign.MemorySegment;

/**
 * One Euler step of a flow-matching sampler, in place: {@code x <- x + (sigmaNext - sigma) * v}, as diffusers'
 * FlowMatchEulerDiscreteScheduler.step (without stochastic sampling). {@code dt} is formed in float32 from
 * the float32 sigmas, like the scheduler's tensors, so results match torch bit for bit.
 */
public final class FlowMatchEulerStep {

    private FlowMatchEulerStep() {
    }

    /** Vector API path over {@code n} floats; {@code velocity} is the model output. */
    public static void step(MemorySegment sample, MemorySegment velocity, long n, float sigma, float sigmaNext) {
        Axpy.apply(sigmaNext - sigma, velocity, sample, sample, n);
    }

    /** Scalar reference path. */
    public static void stepScalar(MemorySegment sample, MemorySegment velocity, long n, float sigma, float sigmaNext) {
        Axpy.applyScalar(sigmaNext - sigma, velocity, sample, sample, n);
    }

    public static void step(float[] sample, float[] velocity, float sigma, float sigmaNext) {
        Axpy.apply(sigmaNext - sigma, velocity, sample);
    }
}
