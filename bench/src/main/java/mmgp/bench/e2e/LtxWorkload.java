package mmgp.bench.e2e;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import mmgp.graph.ComputeBackend;
import mmgp.models.ltx.LtxModel;
import mmgp.models.ltx.LtxPipeline;

/**
 * LTX-Video text → video, unguided (batch 1, as the step and 8-step targets are stated), whole-frame
 * decode. Frames, size and steps come from the settings so a quick run can be smaller; the label says
 * which size was really used.
 */
final class LtxWorkload implements Workload {
    private static final String PROMPT = "a woman with long brown hair walks along a beach at sunset, waves rolling in, cinematic";
    private static final int T5_TOKENS = 128;

    private final ComputeBackend backend;
    private final LtxModel model;
    private final LtxPipeline.Options options;

    LtxWorkload(WorkloadSettings s) throws Exception {
        backend = ComputeBackend.cpu(s.threads());
        model = LtxModel.open(s.file(), backend);
        options = LtxPipeline.Options.defaults().with(s.ltxFrames(), s.ltxWidth(), s.ltxHeight(), s.ltxSteps(), 1f, 24f, T5_TOKENS, 1);
    }

    @Override
    public String sizeLabel() {
        return options.width() + "×" + options.height() + "×" + options.frames() + ", " + Plural.of(options.steps(), "step") + ", unguided, T5 "
                + T5_TOKENS + " tokens";
    }

    @Override
    public Map<String, Double> runOnce() {
        StepTimes steps = new StepTimes("denoise");
        LtxPipeline.Video video = LtxPipeline.generate(model, backend, List.of(PROMPT), options, steps);
        Map<String, Double> t = video.timings().seconds();
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("T5 encode", t.getOrDefault("tokenize", 0.0) + t.get("encode"));
        m.put("transformer step", steps.median());
        m.put("VAE decode", t.get("decode"));
        m.put("total", video.timings().total());
        return m;
    }

    @Override
    public void close() throws Exception {
        model.close();
        backend.close();
    }
}
