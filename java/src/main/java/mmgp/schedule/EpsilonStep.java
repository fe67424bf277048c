package mmgp.schedule;

import static mmgp.tensor.FloatLanes.F32;
import static mmgp.tensor.FloatLanes.ORDER;
import static mmgp.tensor.FloatLanes.SPECIES;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import mmgp.sampling.Rng;

/**
 * What a diffusion step for an epsilon-predicting model does element by element, in place over the sample:
 * recover {@code x0 = (x - sqrt(1 - a_t) * eps) / sqrt(a_t)}, combine it (the subclass's formula) into the
 * previous sample, and add {@code noiseScale * z} when there is noise. A Vector API path and a scalar
 * reference path run the same float32 operations in the same order, so they agree exactly for the same noise.
 */
abstract sealed class EpsilonStep permits DdimStep, DdpmStep {

    private final float sqrtBetaProd;
    private final float sqrtAlphaProd;
    private final float noiseScale;

    EpsilonStep(float alphaProd, float alphaProdPrev, float noiseScale) {
        if (!(alphaProd > 0 && alphaProd < 1 && alphaProdPrev > 0 && alphaProdPrev <= 1)) {
            throw new IllegalArgumentException("alpha products must be in (0, 1): " + alphaProd + ", " + alphaProdPrev);
        }
        this.sqrtBetaProd = sqrt(1f - alphaProd);
        this.sqrtAlphaProd = sqrt(alphaProd);
        this.noiseScale = noiseScale;
    }

    /** The previous sample before noise, from the sample {@code x}, the predicted {@code x0} and {@code eps}. */
    abstract FloatVector previous(FloatVector x, FloatVector x0, FloatVector eps);

    /** Scalar twin of {@link #previous(FloatVector, FloatVector, FloatVector)}, the same operations in the same order. */
    abstract float previous(float x, float x0, float eps);

    /** The source to draw noise from for this step, or null when the step adds none; fails on a missing source. */
    abstract Rng noiseSource(Rng noise);

    /** Standard deviation of the added noise. */
    public float noiseScale() {
        return noiseScale;
    }

    /** Vector API path: replaces {@code sample[0..n)} by the previous sample; noise is drawn in index order. */
    public void apply(MemorySegment sample, MemorySegment modelOutput, long n, Rng noise) {
        Rng source = noiseSource(noise);
        int lanes = SPECIES.length();
        long upper = n - n % lanes;
        float[] draws = new float[lanes];
        for (long i = 0; i < upper; i += lanes) {
            FloatVector x = FloatVector.fromMemorySegment(SPECIES, sample, 4L * i, ORDER);
            FloatVector eps = FloatVector.fromMemorySegment(SPECIES, modelOutput, 4L * i, ORDER);
            FloatVector x0 = x.sub(eps.mul(sqrtBetaProd)).div(sqrtAlphaProd);
            FloatVector prev = previous(x, x0, eps);
            if (source != null) {
                for (int j = 0; j < lanes; j++) {
                    draws[j] = source.nextGaussian();
                }
                prev = prev.add(FloatVector.fromArray(SPECIES, draws, 0).mul(noiseScale));
            }
            prev.intoMemorySegment(sample, 4L * i, ORDER);
        }
        for (long i = upper; i < n; i++) {
            updateScalar(sample, modelOutput, i, source);
        }
    }

    /** Scalar reference path of {@link #apply}. */
    public void applyScalar(MemorySegment sample, MemorySegment modelOutput, long n, Rng noise) {
        Rng source = noiseSource(noise);
        for (long i = 0; i < n; i++) {
            updateScalar(sample, modelOutput, i, source);
        }
    }

    public void apply(float[] sample, float[] modelOutput, Rng noise) {
        if (sample.length != modelOutput.length) {
            throw new IllegalArgumentException("sample has " + sample.length + " values, model output " + modelOutput.length);
        }
        apply(MemorySegment.ofArray(sample), MemorySegment.ofArray(modelOutput), sample.length, noise);
    }

    private void updateScalar(MemorySegment sample, MemorySegment modelOutput, long i, Rng source) {
        float x = sample.getAtIndex(F32, i);
        float eps = modelOutput.getAtIndex(F32, i);
        float x0 = (x - sqrtBetaProd * eps) / sqrtAlphaProd;
        float prev = previous(x, x0, eps);
        if (source != null) {
            prev = prev + noiseScale * source.nextGaussian();
        }
        sample.setAtIndex(F32, i, prev);
    }

    /** torch's {@code t ** 0.5} on a float32 tensor: a correctly rounded float square root. */
    static float sqrt(float value) {
        return (float) Math.sqrt(value);
    }
}
