package mmgp.schedule;

import jdk.incubator.vector.FloatVector;
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
public final class DdpmStep extends EpsilonStep {

    private final float originalCoefficient;
    private final float sampleCoefficient;

    /**
     * @param alphaProd     cumulative alpha product at the current timestep
     * @param alphaProdPrev cumulative alpha product at the previous timestep (1 past the first step, as diffusers)
     */
    public DdpmStep(float alphaProd, float alphaProdPrev) {
        super(alphaProd, alphaProdPrev, sqrt(Math.max((1f - alphaProdPrev) / (1f - alphaProd) * (1f - alphaProd / alphaProdPrev), 1e-20f)));
        float betaProd = 1f - alphaProd;
        float currentAlpha = alphaProd / alphaProdPrev;
        originalCoefficient = sqrt(alphaProdPrev) * (1f - currentAlpha) / betaProd;
        sampleCoefficient = sqrt(currentAlpha) * (1f - alphaProdPrev) / betaProd;
    }

    @Override
    FloatVector previous(FloatVector x, FloatVector x0, FloatVector eps) {
        return x0.mul(originalCoefficient).add(x.mul(sampleCoefficient));
    }

    @Override
    float previous(float x, float x0, float eps) {
        return originalCoefficient * x0 + sampleCoefficient * x;
    }

    /**
     * The given source: null at the last step ({@code t = 0}), where diffusers adds no noise.
     */
    @Override
    Rng noiseSource(Rng noise) {
        return noise;
    }
}
