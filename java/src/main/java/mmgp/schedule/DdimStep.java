package mmgp.schedule;

import jdk.incubator.vector.FloatVector;
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
public final class DdimStep extends EpsilonStep {

    private final float sqrtAlphaProdPrev;
    private final float directionCoefficient;
    private final boolean noisy;

    /**
     * @param alphaProd     cumulative alpha product at the current timestep
     * @param alphaProdPrev at the previous timestep, or the scheduler's final alpha product past the first
     * @param eta           0 for deterministic DDIM, 1 for DDPM-like variance
     */
    public DdimStep(float alphaProd, float alphaProdPrev, float eta) {
        super(alphaProd, alphaProdPrev, sqrt(variance(alphaProd, alphaProdPrev)) * requireEta(eta));
        float std = eta * sqrt(variance(alphaProd, alphaProdPrev));
        sqrtAlphaProdPrev = sqrt(alphaProdPrev);
        directionCoefficient = sqrt(1f - alphaProdPrev - std * std);
        noisy = eta > 0;
    }

    private static float requireEta(float eta) {
        if (!(eta >= 0) || Float.isInfinite(eta)) {
            throw new IllegalArgumentException("eta must be finite and >= 0: " + eta);
        }
        return eta;
    }

    private static float variance(float alphaProd, float alphaProdPrev) {
        return (1f - alphaProdPrev) / (1f - alphaProd) * (1f - alphaProd / alphaProdPrev);
    }

    @Override
    FloatVector previous(FloatVector x, FloatVector x0, FloatVector eps) {
        return x0.mul(sqrtAlphaProdPrev).add(eps.mul(directionCoefficient));
    }

    @Override
    float previous(float x, float x0, float eps) {
        return sqrtAlphaProdPrev * x0 + directionCoefficient * eps;
    }

    /** The noise source when eta > 0 (which needs one), else none. */
    @Override
    Rng noiseSource(Rng noise) {
        if (noisy && noise == null) {
            throw new IllegalArgumentException("eta > 0 needs a noise source");
        }
        return noisy ? noise : null;
    }
}
