package mmgp.schedule;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The timetable of diffusers' (0.33.1) FlowMatchEulerDiscreteScheduler: sigmas (with a trailing
 * 0) and timesteps = sigma·num_train_timesteps, from an explicit sigma list (what LTXPipeline
 * passes: linspace(1, 1/N, N)) or explicit timesteps, with the configured shift — dynamic
 * (exponential time shift by mu) or static — and the optional stretch to shift_terminal. The
 * arithmetic is float32 where the reference's numpy code is, so tables match it to the bit.
 * The update itself is {@link FlowMatchEulerStep}.
 */
public final class FlowMatchEulerScheduler {
    /** The scheduler_config.json fields this timetable uses. */
    public record Config(int numTrainTimesteps, float shift, boolean useDynamicShifting, float shiftTerminal,
                         double baseShift, double maxShift, int baseImageSeqLen, int maxImageSeqLen) {
        public static Config from(JsonNode c) {
            if (c.path("use_karras_sigmas").asBoolean(false) || c.path("use_exponential_sigmas").asBoolean(false)
                    || c.path("use_beta_sigmas").asBoolean(false) || c.path("invert_sigmas").asBoolean(false)) {
                throw new IllegalArgumentException("FlowMatchEulerDiscreteScheduler: karras/exponential/beta/inverted sigmas are not supported");
            }
            String timeShift = c.path("time_shift_type").asText("exponential");
            if (!timeShift.equals("exponential")) throw new IllegalArgumentException("time_shift_type '" + timeShift + "' is not supported (exponential only)");
            return new Config(c.path("num_train_timesteps").asInt(1000), (float) c.path("shift").asDouble(1.0),
                    c.path("use_dynamic_shifting").asBoolean(false),
                    c.path("shift_terminal").isNumber() ? (float) c.path("shift_terminal").asDouble() : 0f,
                    c.path("base_shift").asDouble(0.5), c.path("max_shift").asDouble(1.15),
                    c.path("base_image_seq_len").asInt(256), c.path("max_image_seq_len").asInt(4096));
        }
    }

    private final float[] sigmas;    // steps + 1, last is 0
    private final float[] timesteps; // steps

    private FlowMatchEulerScheduler(float[] sigmas, float[] timesteps) {
        this.sigmas = sigmas;
        this.timesteps = timesteps;
    }

    /** The resolution-dependent shift: linear in the sequence length between (base, max). */
    public static double calculateShift(int sequenceLength, Config c) {
        double m = (c.maxShift() - c.baseShift()) / (c.maxImageSeqLen() - c.baseImageSeqLen());
        double b = c.baseShift() - m * c.baseImageSeqLen();
        return sequenceLength * m + b;
    }

    /** LTXPipeline's default schedule: sigmas linspace(1, 1/steps, steps), shifted by mu of the sequence length. */
    public static FlowMatchEulerScheduler forPipeline(Config c, int steps, int sequenceLength) {
        double[] lin = new double[steps];
        for (int i = 0; i < steps; i++) lin[i] = steps == 1 ? 1.0 : 1.0 + (1.0 / steps - 1.0) * i / (steps - 1); // numpy linspace
        return fromSigmas(c, lin, calculateShift(sequenceLength, c));
    }

    /** {@code set_timesteps(sigmas=..., mu=...)}: explicit sigmas (distilled schedules), then the configured shift. */
    public static FlowMatchEulerScheduler fromSigmas(Config c, double[] given, double mu) {
        float[] s = new float[given.length];
        for (int i = 0; i < s.length; i++) s[i] = (float) given[i]; // np.array(sigmas).astype(np.float32)
        return shiftAndFinish(c, s, mu, null);
    }

    /** {@code set_timesteps(timesteps=...)}: explicit timesteps, kept as given; sigmas = t / num_train_timesteps, then shifted. */
    public static FlowMatchEulerScheduler fromTimesteps(Config c, double[] given, double mu) {
        float[] s = new float[given.length], t = new float[given.length];
        for (int i = 0; i < s.length; i++) {
            t[i] = (float) given[i];
            s[i] = t[i] / c.numTrainTimesteps();
        }
        return shiftAndFinish(c, s, mu, t);
    }

    private static FlowMatchEulerScheduler shiftAndFinish(Config c, float[] s, double mu, float[] givenTimesteps) {
        int n = s.length;
        if (c.useDynamicShifting()) {
            // exp(mu) / (exp(mu) + (1/sigma − 1)): numpy keeps the float32 array's precision.
            float e = (float) Math.exp(mu);
            for (int i = 0; i < n; i++) s[i] = e / (e + (1f / s[i] - 1f));
        } else if (c.shift() != 1f) {
            for (int i = 0; i < n; i++) s[i] = c.shift() * s[i] / (1f + (c.shift() - 1f) * s[i]);
        }
        if (c.shiftTerminal() > 0f) {
            // Stretch so the last sigma lands on shift_terminal. The scale is a numpy scalar
            // (float32 / python float → float64), applied to the float32 array in float32.
            double scale = (1f - s[n - 1]) / (1.0 - c.shiftTerminal());
            float scale32 = (float) scale;
            for (int i = 0; i < n; i++) s[i] = 1f - (1f - s[i]) / scale32;
        }
        float[] sigmas = new float[n + 1];
        float[] timesteps = new float[n];
        for (int i = 0; i < n; i++) {
            sigmas[i] = s[i];
            timesteps[i] = givenTimesteps != null ? givenTimesteps[i] : s[i] * c.numTrainTimesteps();
        }
        return new FlowMatchEulerScheduler(sigmas, timesteps);
    }

    public int steps() {
        return timesteps.length;
    }

    public float sigma(int step) {
        return sigmas[step];
    }

    public float timestep(int step) {
        return timesteps[step];
    }

    public float[] sigmas() {
        return sigmas.clone();
    }

    public float[] timesteps() {
        return timesteps.clone();
    }
}
