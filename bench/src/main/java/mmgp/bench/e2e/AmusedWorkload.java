package mmgp.bench.e2e;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import mmgp.graph.ComputeBackend;
import mmgp.models.amused.AmusedModel;
import mmgp.models.amused.AmusedPipeline;

/** aMUSEd text → image at the model's default size, guidance 10 (the CFG pair batched), as the target is stated. */
final class AmusedWorkload implements Workload {
    private static final String PROMPT = "a photo of a red fox sitting in a snowy forest, high detail";
    private static final float GUIDANCE = 10f;
    static final String ENCODE = "encode", STEP = "denoise step", DECODE = "decode";

    /** The graph label of each stage's main graph. */
    static final Map<String, String> LABELS = Map.of(ENCODE, "clip_text_embeds", STEP, "uvit_logits", DECODE, "vq_decoded");

    private final ComputeBackend backend;
    private final AmusedModel model;
    private final AmusedPipeline.Options options;
    private Map<String, StageWork> lastWork = Map.of();

    AmusedWorkload(WorkloadSettings s) throws Exception {
        backend = ComputeBackend.cpu(s.threads(), mmgp.graph.Numerics.FAST); // the routes users get (CLI and service)
        model = AmusedModel.open(s.file(), backend);
        options = AmusedPipeline.Options.defaults().withSteps(s.amusedSteps()).withGuidance(GUIDANCE).withSeed(1);
    }

    @Override
    public String sizeLabel() {
        int size = model.defaultImageSize();
        return size + "×" + size + ", " + Plural.of(options.steps(), "step") + ", guidance " + (int) GUIDANCE;
    }

    @Override
    public Map<String, Double> runOnce() {
        StageMeter meter = new StageMeter(Map.of("tokenize", ENCODE, "encode", ENCODE, "decode", DECODE), "denoise", STEP);
        AmusedPipeline.Images images = AmusedPipeline.generate(model, backend, List.of(PROMPT), options, meter);
        Map<String, Double> t = images.timings().seconds();
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(ENCODE, t.getOrDefault("tokenize", 0.0) + t.get("encode"));
        m.put(STEP, meter.medianStep());
        m.put(DECODE, t.get("decode"));
        m.put("total", images.timings().total());
        lastWork = meter.work();
        return m;
    }

    @Override
    public Map<String, StageWork> lastWork() {
        return lastWork;
    }

    @Override
    public Map<String, String> weightTypes() {
        Map<String, String> m = new LinkedHashMap<>();
        var all = model.weights().all();
        putIfKnown(m, ENCODE, WeightTypes.dominant(all, "text_encoder."));
        putIfKnown(m, STEP, WeightTypes.dominant(all, "transformer."));
        putIfKnown(m, DECODE, WeightTypes.dominant(all, "vqvae."));
        return m;
    }

    @Override
    public Map<String, String> graphLabels() {
        return LABELS;
    }

    static void putIfKnown(Map<String, String> m, String key, String value) {
        if (value != null) m.put(key, value);
    }

    @Override
    public void close() throws Exception {
        model.close();
        backend.close();
    }
}
