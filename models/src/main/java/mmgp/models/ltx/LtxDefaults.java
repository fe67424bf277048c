package mmgp.models.ltx;

import mmgp.registry.ModelDefaults;

/**
 * Applies a model's recommended settings ({@link ModelDefaults}, from its manifest or GGUF) to
 * pipeline options, leaving whatever the user gave explicitly: the CLI, the engine and the demo
 * share this so one model means one set of defaults everywhere.
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
     * {@code o} with the model's steps (or its timestep list) unless {@code stepsGiven}, its
     * guidance unless {@code guidanceGiven}, and its decode timestep / noise scale unless
     * {@code decodeGiven}. With no recommendation for a setting, {@code o}'s own value stays.
     */
    public static LtxPipeline.Options apply(LtxPipeline.Options o, ModelDefaults d, boolean stepsGiven, boolean guidanceGiven, boolean decodeGiven) {
        LtxPipeline.Options r = o;
        if (!stepsGiven && d.timesteps() != null) {
            r = r.withSchedule(d.timesteps(), null); // the list's length is the step count
        } else if (!stepsGiven && d.steps() != null) {
            r = r.with(r.frames(), r.width(), r.height(), d.steps(), r.guidanceScale(), r.frameRate(), r.maxSequenceLength(), r.seed());
        }
        if (!guidanceGiven && d.guidance() != null) {
            r = r.with(r.frames(), r.width(), r.height(), r.steps(), d.guidance(), r.frameRate(), r.maxSequenceLength(), r.seed());
        }
        return decodeGiven ? r : decode(r, d, null, null);
    }

    /**
     * {@code o} with the decode timesteps and noise scales a user gave (each null when not
     * given; one value, or one per prompt), the rest from the model: with neither given, the
     * model's recommended pair (o's own timesteps when it recommends only a noise scale, o's own
     * pair when it recommends neither); noise scales not given take
     * the timesteps, as diffusers' {@code decode_noise_scale=None}, rather than the model's
     * noise scale, which belongs with its own timestep; timesteps not given are the model's.
     */
    public static LtxPipeline.Options decode(LtxPipeline.Options o, ModelDefaults d, float[] timesteps, float[] noiseScales) {
        if (timesteps != null) return o.withDecode(timesteps, noiseScales);
        float[] modelTimestep = d.decodeTimestep() != null ? new float[] {d.decodeTimestep()} : o.decodeTimesteps();
        if (noiseScales != null) return o.withDecode(modelTimestep, noiseScales);
        float[] modelNoise = d.decodeNoiseScale() != null ? new float[] {d.decodeNoiseScale()} : null;
        if (d.decodeTimestep() == null) {
            // a recommended noise scale alone goes with o's own timesteps rather than being dropped
            return modelNoise == null ? o : o.withDecode(o.decodeTimesteps(), modelNoise);
        }
        return o.withDecode(modelTimestep, modelNoise);
    }
}
