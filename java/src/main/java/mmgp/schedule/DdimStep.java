package mmgp.schedule;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import mmgp.sampling.Rng;

/**
 * One DDIM step for an epsilon-predicting model, in place over the sample, as diffusers' DDIMScheduler.step
 * with {@code clip_sample=False} and {@code use_clipped_model_output=False}:
 *
 * <pre>
 *   x0     = (x - sqrt(1 - a_t) * eps) / sqrt(a_t)
 *   var    = ((1 - a_prev) / (1 - a_t)) * (1 - a_t / a_prev)
 *   std    = eta * sqrt(var)
 *   prev   = sqrt(a_prev) * x0 + sqrt(1 - a_prev - std^2) * eps  + std * z   (noise only when eta > 0)
 * </pre>
 *
 * Coefficients and element updates are rounded in float32 in torch's order, so the vector and scalar paths
 * agree exactly for the same noise.
 */
public final class DdimStep {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private final float sqrtBetaProd;
    private final float sqrtAlphaProd;
    private final float sqrtAlphaProdPrev;
    private final float directionCoefficient;
    private final float noiseScale;
    private final boolean noisy;

    /**
     * @param alphaProd     cumulative alpha product at the current timestep
     * @param alphaProdPrev at the previous timestep, or the scheduler's final alpha product past the first
     * @param eta           0 for deterministic DDIM, 1 for DDPM-like variance
     */
    public DdimStep(float alphaProd, float alphaProdPrev, float eta) {
        if (!(alphaProd > 0 && alphaProd < 1 && alphaProdPrev > 0 && alphaProdPrev <= 1)) {
            throw new IllegalArgumentException("alpha products must be in (0, 1): " + alphaProd + ", " + alphaProdPrev);
        }
        if (!(eta >= 0) || Float.isInfinite(eta)) {
            throw new IllegalArgumentException("eta must be finite and >= 0: " + eta);
        }
        float betaProd = 1f - alphaProd;
        float betaProdPrev = 1f - alphaProdPrev;
        float variance = betaProdPrev / betaProd * (1f - alphaProd / alphaProdPrev);
        float std = eta * DdpmStep.sqrt(variance);
        sqrtBetaProd = DdpmStep.sqrt(betaProd);
        sqrtAlphaProd = DdpmStep.sqrt(alphaProd);
        sqrtAlphaProdPrev = DdpmStep.sqrt(alphaProdPrev);
        directionCoefficient = DdpmStep.sqrt(1f - alphaProdPrev - std * std);
        noiseScale = DdpmStep.sqrt(variance) * eta;
        noisy = eta > 0;
    }

    /** Standard deviation of the added noise, {@code eta * sqrt(var)}. */
    public float noiseScale() {
        return noiseScale;
    }

    /**
     * Vector API path: replaces {@code sample[0..n)} by the previous sample.
     *
     * @param noise Gaussian source, drawn in index order; used only when eta > 0 (may be null then)
     */
    public void apply(MemorySegment sample, MemorySegment modelOutput, long n, Rng noise) {
        requireNoise(noise);
        int lanes = SPECIES.length();
        long upper = n - n % lanes;
        float[] draws = new float[lanes];
        for (long i = 0; i < upper; i += lanes) {
            FloatVector x = FloatVector.fromMemorySegment(SPECIES, sample, 4L * i, ORDER);
            FloatVector eps = FloatVector.fromMemorySegment(SPECIES, modelOutput, 4L * i, ORDER);
            FloatVector x0 = x.sub(eps.mul(sqrtBetaProd)).div(sqrtAlphaProd);
            FloatVector prev = x0.mul(sqrtAlphaProdPrev).add(eps.mul(directionCoefficient));
            if (noisy) {
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
        requireNoise(noise);
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
        float eps = modelOutput.getAtIndex(F32, i);
        float x0 = (x - sqrtBetaProd * eps) / sqrtAlphaProd;
        float prev = sqrtAlphaProdPrev * x0 + directionCoefficient * eps;
        if (noisy) {
            prev = prev + noiseScale * noise.nextGaussian();
        }
        sample.setAtIndex(F32, i, prev);
    }

    private void requireNoise(Rng noise) {
        if (noisy && noise == null) {
            throw new IllegalArgumentException("eta > 0 needs a noise source");
        }
    }
}
