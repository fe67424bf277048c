package mmgp.models.amused;

import com.fasterxml.jackson.databind.JsonNode;
import mmgp.schedule.MaskingSchedule;

/**
 * diffusers' AmusedScheduler timetable: timesteps N−1 … 0, a temperature per step
 * (torch.linspace of the given pair, or of (t, 0.01) for a single value) and the masking
 * schedule's ratio of tokens left masked after each step. The MaskGIT update itself is
 * {@link mmgp.schedule.MaskGitStep}; this class only says which numbers each step uses.
 */
public final class AmusedScheduler {
    private final long[] timesteps;
    private final float[] temperatures;
    private final MaskingSchedule schedule;

    private AmusedScheduler(int steps, float startTemperature, float endTemperature, MaskingSchedule schedule) {
        if (steps < 1) throw new IllegalArgumentException("steps must be at least 1, got " + steps);
        this.timesteps = new long[steps];
        for (int i = 0; i < steps; i++) timesteps[i] = steps - 1 - i;
        this.temperatures = torchLinspace(startTemperature, endTemperature, steps);
        this.schedule = schedule;
    }

    /** {@code set_timesteps(steps, temperature=(start, end))}; the pipeline's default is (2, 0). */
    public static AmusedScheduler annealed(int steps, float start, float end, MaskingSchedule schedule) {
        return new AmusedScheduler(steps, start, end, schedule);
    }

    /** {@code set_timesteps(steps, temperature=t)} for a single number: linspace(t, 0.01). */
    public static AmusedScheduler fromTemperature(int steps, float temperature, MaskingSchedule schedule) {
        return new AmusedScheduler(steps, temperature, 0.01f, schedule);
    }

    /** The masking schedule named by scheduler_config.json ("cosine" or "linear"). */
    public static MaskingSchedule masking(JsonNode schedulerConfig) {
        String name = schedulerConfig.path("masking_schedule").asText("cosine");
        return switch (name) {
            case "cosine" -> MaskingSchedule.COSINE;
            case "linear" -> MaskingSchedule.LINEAR;
            default -> throw new IllegalArgumentException("unknown masking_schedule '" + name + "' (cosine or linear)");
        };
    }

    public int steps() {
        return timesteps.length;
    }

    public long[] timesteps() {
        return timesteps.clone();
    }

    public float[] temperatures() {
        return temperatures.clone();
    }

    public float temperature(int step) {
        return temperatures[step];
    }

    /** Fraction of tokens left masked after step {@code step} (computed in float32, as torch does). */
    public float maskRatio(int step) {
        return schedule.maskRatio(step, timesteps.length);
    }

    /** The step at timestep 0 keeps every prediction and re-masks nothing. */
    public boolean isLast(int step) {
        return timesteps[step] == 0;
    }

    /** torch.linspace in float32: the first half counts up from start, the second half down from end. */
    static float[] torchLinspace(float start, float end, int steps) {
        if (steps == 1) return new float[] {start};
        float step = (end - start) / (float) (steps - 1);
        float[] out = new float[steps];
        for (int i = 0; i < steps; i++) out[i] = i < steps / 2 ? start + step * i : end - step * (steps - i - 1);
        return out;
    }
}
