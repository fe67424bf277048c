package mmgp.models.ltx;

import mmgp.api.VideoOptions;
import mmgp.registry.ModelDefaults;

/**
 * Applies a model's recommended settings ({@link ModelDefaults}, from its manifest or GGUF) to
 * video options, leaving whatever the user gave explicitly: the CLI, the engine, the demo and the
 * pipeline itself share this so one model means one set of defaults everywhere.
 */
public final class LtxDefaults {
    private LtxDefaults() {}

    /**
     * The recommended settings of the model at {@code model}: a single-file checkpoint's header
     * ({@link LtxSingleFile#recommendedDefaults()}), else its registry manifest or GGUF metadata
     * ({@link ModelDefaults#forModel}). Advice only: an unreadable file gives {@link ModelDefaults#NONE}.
     */
    public static ModelDefaults forModel(java.nio.file.Path model) {
        if (model != null && model.getFileName() != null && model.getFileName().toString().endsWith(".safetensors")
                && java.nio.file.Files.isRegularFile(model)) {
            try (LtxSingleFile f = LtxSingleFile.open(model)) {
                return f.recommendedDefaults();
            } catch (java.io.IOException | RuntimeException e) {
                return ModelDefaults.NONE;
            }
        }
        return ModelDefaults.forModel(model);
    }

    /**
     * {@code o} with what it leaves to the model filled in: the steps ({@link VideoOptions#MODEL_STEPS})
     * become the model's timestep list, else its steps, else {@link VideoOptions#FALLBACK_STEPS}; the
     * guidance (NaN) the model's, else {@link VideoOptions#FALLBACK_GUIDANCE}. The decode pair: a
     * given timestep wins; one left open is the model's, else {@link VideoOptions#FALLBACK_DECODE_TIMESTEP},
     * and then the model's noise scale comes with it unless one is given; a noise scale still
     * open takes the timestep, as diffusers' {@code decode_noise_scale=None}. What {@code o} gives
     * stays; resolving twice changes nothing.
     */
    public static VideoOptions resolve(VideoOptions o, ModelDefaults d) {
        VideoOptions.Builder b = o.toBuilder();
        if (o.modelSteps()) {
            if (d.timesteps() != null) b.timesteps(d.timesteps());
            else b.steps(d.steps() != null ? d.steps() : VideoOptions.FALLBACK_STEPS);
        }
        if (o.modelGuidance()) b.guidanceScale(d.guidance() != null ? d.guidance() : VideoOptions.FALLBACK_GUIDANCE);
        float timestep = o.decodeTimestep(), noiseScale = o.decodeNoiseScale();
        if (Float.isNaN(timestep)) {
            timestep = d.decodeTimestep() != null ? d.decodeTimestep() : VideoOptions.FALLBACK_DECODE_TIMESTEP;
            if (Float.isNaN(noiseScale) && d.decodeNoiseScale() != null) noiseScale = d.decodeNoiseScale();
        }
        return b.decode(timestep, Float.isNaN(noiseScale) ? timestep : noiseScale).build();
    }
}
