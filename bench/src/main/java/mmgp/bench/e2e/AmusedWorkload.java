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

    private final ComputeBackend backend;
    private final AmusedModel model;
    private final AmusedPipeline.Options options;

    AmusedWorkload(WorkloadSettings s) throws Exception {
        backend = ComputeBackend.cpu(s.threads());
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
        StepTimes steps = new StepTimes("denoise");
        AmusedPipeline.Images images = AmusedPipeline.generate(model, backend, List.of(PROMPT), options, steps);
        Map<String, Double> t = images.timings().seconds();
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("encode", t.getOrDefault("tokenize", 0.0) + t.get("encode"));
        m.put("denoise step", steps.median());
        m.put("decode", t.get("decode"));
        m.put("total", images.timings().total());
        return m;
    }

    @Override
    public void close() throws Exception {
        model.close();
        backend.close();
    }
}
