package mmgp.bench.e2e;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import mmgp.api.StageTimings;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Numerics;
import mmgp.graph.WeightSet;
import mmgp.models.CpuModel;

/**
 * A ggml text-to-media pipeline (aMUSEd, LTX-Video) on a CPU backend with the routes users get (the
 * CLI's and the service's default), measured per stage: tokenize + encode, the median denoising step,
 * decode, and the whole run.
 *
 * @param <M> the model, opened once on the backend
 */
abstract class PipelineWorkload<M extends AutoCloseable> extends WorkloadBase {
    private final String encode, step, decode;
    private final Map<String, String> labels;
    private final Map<String, List<String>> weightPrefixes;
    private final Function<M, WeightSet> weightsOf;
    private final CpuModel<M> opened;
    protected final ComputeBackend backend;
    protected final M model;

    /**
     * @param weightsOf      the model's weights, whose types the report names per stage
     * @param labels         the graph label of each stage's main graph
     * @param weightPrefixes per stage, the tensor-name prefixes of its weights, the first that matches any tensor wins
     */
    PipelineWorkload(WorkloadSettings s, CpuModel.Loader<M> loader, Function<M, WeightSet> weightsOf, String encode, String step, String decode, Map<String, String> labels,
                     Map<String, List<String>> weightPrefixes) throws Exception {
        super(List.of(encode, step, decode));
        this.encode = encode;
        this.step = step;
        this.decode = decode;
        this.labels = Map.copyOf(labels);
        this.weightPrefixes = Map.copyOf(weightPrefixes);
        this.weightsOf = weightsOf;
        opened = CpuModel.open(s.file(), s.threads(), Numerics.FAST, loader);
        backend = opened.backend();
        model = opened.model();
    }

    /** One run of the pipeline reporting to {@code meter}; its stage timings. */
    protected abstract StageTimings generate(StageMeter meter);

    @Override
    public final Map<String, Double> runOnce() {
        StageMeter meter = new StageMeter(Map.of("tokenize", encode, "encode", encode, "decode", decode), "denoise", step);
        StageTimings timings = generate(meter);
        Map<String, Double> t = timings.seconds();
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(encode, t.getOrDefault("tokenize", 0.0) + t.get("encode"));
        m.put(step, meter.medianStep());
        m.put(decode, t.get("decode"));
        m.put("total", timings.total());
        keepWork(meter.work());
        return m;
    }

    @Override
    protected final String weightType(String stage) {
        var all = weightsOf.apply(model).all();
        for (String prefix : weightPrefixes.getOrDefault(stage, List.of())) {
            String type = WeightTypes.dominant(all, prefix);
            if (type != null) return type;
        }
        return null;
    }

    @Override
    public final Map<String, String> graphLabels() {
        return labels;
    }

    @Override
    public void close() throws Exception {
        opened.close();
    }
}
