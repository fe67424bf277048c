package mmgp.bench.e2e;

import java.util.List;
import java.util.Map;
import mmgp.api.StageTimings;
import mmgp.api.VideoOptions;
import mmgp.models.ltx.LtxModel;
import mmgp.models.ltx.LtxPipeline;

/**
 * LTX-Video text → video, unguided (batch 1, as the step and 8-step targets are stated), whole-frame
 * decode. Frames, size and steps come from the settings so a quick run can be smaller; the label says
 * which size was really used.
 */
final class LtxWorkload extends PipelineWorkload<LtxModel> {
    private static final String PROMPT = "a woman with long brown hair walks along a beach at sunset, waves rolling in, cinematic";
    private static final int T5_TOKENS = 128;
    static final String ENCODE = "T5 encode", STEP = "transformer step", DECODE = "VAE decode";

    /** The graph label of each stage's main graph. */
    static final Map<String, String> LABELS = Map.of(ENCODE, "t5_last_hidden_state", STEP, "ltx_transformer_out", DECODE, "ltx_vae_decoded");

    private final VideoOptions options;

    LtxWorkload(WorkloadSettings s) throws Exception {
        // A checkpoint without a separate decoder names the whole VAE.
        super(s, LtxModel::open, LtxModel::weights, ENCODE, STEP, DECODE, LABELS,
                Map.of(ENCODE, List.of("text_encoder."), STEP, List.of("transformer."), DECODE, List.of("vae.decoder.", "vae.")));
        options = VideoOptions.defaults().toBuilder().size(s.ltxFrames(), s.ltxWidth(), s.ltxHeight()).steps(s.ltxSteps()).guidanceScale(1f)
                .frameRate(24f).maxSequenceLength(T5_TOKENS).seed(1).build();
    }

    @Override
    public String sizeLabel() {
        return options.width() + "×" + options.height() + "×" + options.frames() + ", " + Plural.of(options.steps(), "step") + ", unguided, T5 "
                + T5_TOKENS + " tokens";
    }

    @Override
    protected StageTimings generate(StageMeter meter) {
        return LtxPipeline.generate(model, backend, List.of(PROMPT), options, meter).timings();
    }
}
