package mmgp.bench.e2e;

import java.util.List;
import java.util.Map;
import mmgp.api.ImageOptions;
import mmgp.api.StageTimings;
import mmgp.models.amused.AmusedModel;
import mmgp.models.amused.AmusedPipeline;

/** aMUSEd text → image at the model's default size, guidance 10 (the CFG pair batched), as the target is stated. */
final class AmusedWorkload extends PipelineWorkload<AmusedModel> {
    private static final String PROMPT = "a photo of a red fox sitting in a snowy forest, high detail";
    private static final float GUIDANCE = 10f;
    static final String ENCODE = "encode", STEP = "denoise step", DECODE = "decode";

    /** The graph label of each stage's main graph. */
    static final Map<String, String> LABELS = Map.of(ENCODE, "clip_text_embeds", STEP, "uvit_logits", DECODE, "vq_decoded");

    private final ImageOptions options;

    AmusedWorkload(WorkloadSettings s) throws Exception {
        super(s, AmusedModel::open, AmusedModel::weights, ENCODE, STEP, DECODE, LABELS,
                Map.of(ENCODE, List.of("text_encoder."), STEP, List.of("transformer."), DECODE, List.of("vqvae.")));
        options = ImageOptions.defaults().toBuilder().steps(s.amusedSteps()).guidanceScale(GUIDANCE).seed(1).build();
    }

    @Override
    public String sizeLabel() {
        int size = model.defaultImageSize();
        return size + "×" + size + ", " + Plural.of(options.steps(), "step") + ", guidance " + (int) GUIDANCE;
    }

    @Override
    protected StageTimings generate(StageMeter meter) {
        return AmusedPipeline.generate(model, backend, List.of(PROMPT), options, meter).timings();
    }
}
