package mmgp.models.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import mmgp.api.ImageOptions;
import mmgp.api.ImageRequest;
import mmgp.api.ImageResult;
import mmgp.api.ProgressListener;
import mmgp.engine.spi.BatchItem;
import mmgp.engine.spi.BatchModel;
import mmgp.engine.spi.CostEstimate;
import mmgp.graph.ComputeBackend;
import mmgp.models.amused.AmusedCost;
import mmgp.models.amused.AmusedModel;
import mmgp.models.amused.AmusedPipeline;

/**
 * A loaded aMUSEd model serving image requests: requests whose options differ only in the seed
 * share one transformer graph; each image comes from its own seed
 * ({@link AmusedPipeline#generateWithSeeds}), so batching does not change it.
 */
final class AmusedBatchModel implements BatchModel<ImageRequest, ImageResult> {
    /** Four images: eight transformer rows under guidance, which bounds the run's memory and latency. */
    static final int MAX_BATCH = 4;

    private final AmusedModel model;
    private final ComputeBackend backend;
    private final String description;
    private final Map<List<Object>, AmusedCost> costs = new ConcurrentHashMap<>();

    AmusedBatchModel(AmusedModel model, ComputeBackend backend) {
        this.model = model;
        this.backend = backend;
        this.description = WeightSummary.describe(model, model.weights(), backend);
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public void validate(ImageRequest request) {
        AmusedPipeline.resolve(model, request.options());
    }

    /**
     * What must match for requests to share a run: every option but the seed (each image has its
     * own), the size resolved, so 0 and the model's default size batch together.
     */
    @Override
    public Object batchKey(ImageRequest request) {
        return AmusedPipeline.resolve(model, request.options()).withSeed(0);
    }

    /**
     * Measured on the run's own graphs ({@link AmusedCost}), once per key and batch size: the
     * estimate is ggml's allocator plan, the same figure the run allocates.
     */
    @Override
    public CostEstimate estimate(List<ImageRequest> batch) {
        ImageOptions key = (ImageOptions) batchKey(batch.getFirst());
        int n = batch.size();
        boolean guided = key.guided();
        if (costs.size() > 256) costs.clear(); // sizes are bounded by the limits; this bounds the rest
        AmusedCost cost = costs.computeIfAbsent(List.of(key.width(), key.height(), guided, n),
                k -> AmusedCost.of(model, backend, n, key.width(), key.height(), guided));
        String size = key.width() + "×" + key.height();
        String what = n == 1 ? "this " + size + " image" : "this batch of " + n + " " + size + " images";
        int nativeSide = model.defaultImageSize();
        return new CostEstimate(what, cost.peakBytes(), cost.flops(key.steps()), new CostEstimate.Size(key.width(), key.height()),
                new CostEstimate.Size(nativeSide, nativeSide)).withSteps(key.steps());
    }

    @Override
    public int maxBatch() {
        return MAX_BATCH;
    }

    @Override
    public List<ImageResult> run(List<BatchItem<ImageRequest>> items, ProgressListener batch) {
        if (items.isEmpty()) return List.of();
        SharedKey.require(this, items);
        ImageOptions first = items.getFirst().request().options();
        SeededPrompts in = SeededPrompts.of(items, ImageRequest::prompt, r -> r.options().seed());
        AmusedPipeline.Images images = AmusedPipeline.generateWithSeeds(model, backend, in.prompts(), first, batch, in.seeds());
        int size = 3 * images.width() * images.height();
        List<ImageResult> results = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            float[] rgb = SeededPrompts.itemValues(images.pixels(), i, size);
            results.add(new ImageResult(images.width(), images.height(), rgb, in.seeds()[i], Timings.copyOf(images.timings()), items.size()));
        }
        return results;
    }

    @Override
    public void close() throws Exception {
        CpuModelOpener.close(model, backend);
    }
}
