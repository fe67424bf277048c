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
        if (!decodeGiven && d.decodeTimestep() != null) {
            r = r.withDecode(d.decodeTimestep(), d.decodeNoiseScale() != null ? d.decodeNoiseScale() : Float.NaN);
        }
        return r;
    }
}
