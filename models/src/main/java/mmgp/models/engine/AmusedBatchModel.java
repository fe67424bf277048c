package mmgp.models.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import mmgp.api.ImageOptions;
import mmgp.api.ImageRequest;
import mmgp.api.ImageResult;
import mmgp.api.InvalidRequestException;
import mmgp.api.ProgressListener;
import mmgp.engine.spi.BatchItem;
import mmgp.engine.spi.BatchModel;
import mmgp.engine.spi.CostEstimate;
import mmgp.graph.ComputeBackend;
import mmgp.models.amused.AmusedCost;
import mmgp.models.amused.AmusedModel;
import mmgp.models.amused.AmusedPipeline;

/**
 * A loaded aMUSEd model serving image requests: requests with the same steps, guidance,
 * negative prompt and size share one transformer graph; each image comes from its own seed
 * ({@link AmusedPipeline#generateWithSeeds}), so batching does not change it.
 */
final class AmusedBatchModel implements BatchModel<ImageRequest, ImageResult> {
    /** Four images: eight transformer rows under guidance, which bounds the run's memory and latency. */
    static final int MAX_BATCH = 4;

    /** What must match for requests to share a run; the size is resolved, so 0 and the default size batch together. */
    private record Key(int steps, float guidanceScale, String negativePrompt, int width, int height) {}

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
        int scale = model.vaeScaleFactor();
        checkSide("width", request.options().width(), scale);
        checkSide("height", request.options().height(), scale);
    }

    private void checkSide(String field, int value, int scale) {
        if (value != 0 && value % scale != 0) {
            throw new InvalidRequestException(field, "must be a multiple of " + scale + " (the VQ scale factor), or 0 for the model's "
                    + model.defaultImageSize() + ", got " + value);
        }
    }

    @Override
    public Object batchKey(ImageRequest request) {
        ImageOptions o = request.options();
        return new Key(o.steps(), o.guidanceScale(), o.negativePrompt(), side(o.width()), side(o.height()));
    }

    private int side(int requested) {
        return requested > 0 ? requested : model.defaultImageSize();
    }

    /**
     * Measured on the run's own graphs ({@link AmusedCost}), once per key and batch size: the
     * estimate is ggml's allocator plan, the same figure the run allocates.
     */
    @Override
    public CostEstimate estimate(List<ImageRequest> batch) {
        ImageOptions o = batch.getFirst().options();
        Key key = (Key) batchKey(batch.getFirst());
        int n = batch.size();
        boolean guided = o.guidanceScale() > 1f;
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
        AmusedPipeline.Options o = AmusedPipeline.Options.defaults().withSteps(first.steps()).withGuidance(first.guidanceScale())
                .withNegativePrompt(first.negativePrompt()).withSize(side(first.width()), side(first.height()));
        AmusedPipeline.Images images = AmusedPipeline.generateWithSeeds(model, backend, in.prompts(), o, batch, in.seeds());
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
