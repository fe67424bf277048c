package mmgp.schedule;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import mmgp.sampling.Rng;

/**
 * One DDPM ancestral step for an epsilon-predicting model, in place over the sample, as diffusers'
 * DDPMScheduler.step with {@code clip_sample=False}, no thresholding and {@code variance_type="fixed_small"}:
 *
 * <pre>
 *   x0   = (x - sqrt(1 - a_t) * eps) / sqrt(a_t)
 *   prev = (sqrt(a_prev) * beta_t / (1 - a_t)) * x0 + (sqrt(alpha_t) * (1 - a_prev) / (1 - a_t)) * x
 *        + sqrt(max((1 - a_prev) / (1 - a_t) * beta_t, 1e-20)) * z          (only when t > 0)
 * </pre>
 *
 * with {@code a} the cumulative alpha products, {@code alpha_t = a_t / a_prev} and {@code beta_t = 1 - alpha_t}.
 * Coefficients and element updates are rounded in float32 in torch's order (no fused multiply-add), so
 * the vector and scalar paths agree exactly for the same noise.
 */
public final class DdpmStep {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private final float sqrtBetaProd;
    private final float sqrtAlphaProd;
    private final float originalCoefficient;
    private final float sampleCoefficient;
    private final float noiseScale;

    /**
     * @param alphaProd     cumulative alpha product at the current timestep
     * @param alphaProdPrev cumulative alpha product at the previous timestep (1 past the first step, as diffusers)
     */
    public DdpmStep(float alphaProd, float alphaProdPrev) {
        if (!(alphaProd > 0 && alphaProd < 1 && alphaProdPrev > 0 && alphaProdPrev <= 1)) {
            throw new IllegalArgumentException("alpha products must be in (0, 1): " + alphaProd + ", " + alphaProdPrev);
        }
        float betaProd = 1f - alphaProd;
        float betaProdPrev = 1f - alphaProdPrev;
        float currentAlpha = alphaProd / alphaProdPrev;
        float currentBeta = 1f - currentAlpha;
        sqrtBetaProd = sqrt(betaProd);
        sqrtAlphaProd = sqrt(alphaProd);
        originalCoefficient = sqrt(alphaProdPrev) * currentBeta / betaProd;
        sampleCoefficient = sqrt(currentAlpha) * betaProdPrev / betaProd;
        float variance = Math.max(betaProdPrev / betaProd * currentBeta, 1e-20f);
        noiseScale = sqrt(variance);
    }

    /** Standard deviation of the added noise. */
    public float noiseScale() {
        return noiseScale;
    }

    /**
     * Vector API path: replaces {@code sample[0..n)} by the previous sample.
     *
     * @param noise Gaussian source for the variance term, drawn in index order; {@code null} at the last
     *              step ({@code t = 0}), where diffusers adds no noise
     */
    public void apply(MemorySegment sample, MemorySegment modelOutput, long n, Rng noise) {
        int lanes = SPECIES.length();
        long upper = n - n % lanes;
        float[] draws = new float[lanes];
        for (long i = 0; i < upper; i += lanes) {
            FloatVector x = FloatVector.fromMemorySegment(SPECIES, sample, 4L * i, ORDER);
            FloatVector eps = FloatVector.fromMemorySegment(SPECIES, modelOutput, 4L * i, ORDER);
            FloatVector x0 = x.sub(eps.mul(sqrtBetaProd)).div(sqrtAlphaProd);
            FloatVector prev = x0.mul(originalCoefficient).add(x.mul(sampleCoefficient));
            if (noise != null) {
                for (int j = 0; j < lanes; j++) {
                    draws[j] = noise.nextGaussian();
                }
                prev = prev.add(FloatVector.fromArray(SPECIES, draws, 0).mul(noiseScale));
            }
            prev.intoMemorySegment(sample, 4L * i, ORDER);
        }
        for (long i = upper; i < n; i++) {
            updateScalar(sample, modelOutput, i, noise);
        }
    }

    /** Scalar reference path of {@link #apply}. */
    public void applyScalar(MemorySegment sample, MemorySegment modelOutput, long n, Rng noise) {
        for (long i = 0; i < n; i++) {
            updateScalar(sample, modelOutput, i, noise);
        }
    }

    public void apply(float[] sample, float[] modelOutput, Rng noise) {
        if (sample.length != modelOutput.length) {
            throw new IllegalArgumentException("sample has " + sample.length + " values, model output " + modelOutput.length);
        }
        apply(MemorySegment.ofArray(sample), MemorySegment.ofArray(modelOutput), sample.length, noise);
    }

    private void updateScalar(MemorySegment sample, MemorySegment modelOutput, long i, Rng noise) {
        float x = sample.getAtIndex(F32, i);
        float x0 = (x - sqrtBetaProd * modelOutput.getAtIndex(F32, i)) / sqrtAlphaProd;
        float prev = originalCoefficient * x0 + sampleCoefficient * x;
        if (noise != null) {
            prev = prev + noiseScale * noise.nextGaussian();
        }
        sample.setAtIndex(F32, i, prev);
    }

    /** torch's {@code t ** 0.5} on a float32 tensor: a correctly rounded float square root. */
    static float sqrt(float value) {
        return (float) Math.sqrt(value);
    }
}
