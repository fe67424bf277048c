package mmgp.schedule;

/**
 * Fraction of tokens left masked after each MaskGIT step, as diffusers' AmusedScheduler computes it. The
 * arithmetic is float32 like torch's: {@code ratio = (i + 1) / N}, then {@code cos(ratio * pi / 2)}. The
 * precision matters: cos(pi/3) is 0.49999997 in float32, so 64 tokens leave floor(31.99999) = 31 masked,
 * where double arithmetic would give 32.
 */
public enum MaskingSchedule {
    COSINE {
        @Override
        public float maskRatio(int stepIndex, int stepCount) {
            return (float) Math.cos(ratio(stepIndex, stepCount) * (float) Math.PI / 2f);
        }
    },
    LINEAR {
        @Override
        public float maskRatio(int stepIndex, int stepCount) {
            return 1f - ratio(stepIndex, stepCount);
        }
    };

    /** Mask ratio after step {@code stepIndex} (0-based) of {@code stepCount}. */
    public abstract float maskRatio(int stepIndex, int stepCount);

    private static float ratio(int stepIndex, int stepCount) {
        if (stepCount <= 0 || stepIndex < 0 || stepIndex >= stepCount) {
            throw new IllegalArgumentException("step " + stepIndex + " of " + stepCount);
        }
        return (float) (stepIndex + 1) / (float) stepCount;
    }
}
