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
    static final String ENCODE = "T5 encode", STEP = "transformer step", DECODE = "VAE decode";

    /** The graph label of each stage's main graph. */
    static final Map<String, String> LABELS = Map.of(ENCODE, "t5_last_hidden_state", STEP, "ltx_transformer_out", DECODE, "ltx_vae_decoded");

    private final ComputeBackend backend;
    private final LtxModel model;
    private final LtxPipeline.Options options;
    private Map<String, StageWork> lastWork = Map.of();

    LtxWorkload(WorkloadSettings s) throws Exception {
        backend = ComputeBackend.cpu(s.threads(), mmgp.graph.Numerics.FAST); // the routes users get (CLI and service)
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
        StageMeter meter = new StageMeter(Map.of("tokenize", ENCODE, "encode", ENCODE, "decode", DECODE), "denoise", STEP);
        LtxPipeline.Video video = LtxPipeline.generate(model, backend, List.of(PROMPT), options, meter);
        Map<String, Double> t = video.timings().seconds();
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(ENCODE, t.getOrDefault("tokenize", 0.0) + t.get("encode"));
        m.put(STEP, meter.medianStep());
        m.put(DECODE, t.get("decode"));
        m.put("total", video.timings().total());
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
        AmusedWorkload.putIfKnown(m, ENCODE, WeightTypes.dominant(all, "text_encoder."));
        AmusedWorkload.putIfKnown(m, STEP, WeightTypes.dominant(all, "transformer."));
        AmusedWorkload.putIfKnown(m, DECODE, WeightTypes.dominant(all, "vae.decoder."));
        if (!m.containsKey(DECODE)) AmusedWorkload.putIfKnown(m, DECODE, WeightTypes.dominant(all, "vae."));
        return m;
    }

    @Override
    public Map<String, String> graphLabels() {
        return LABELS;
    }

    @Override
    public void close() throws Exception {
        model.close();
        backend.close();
    }
}
