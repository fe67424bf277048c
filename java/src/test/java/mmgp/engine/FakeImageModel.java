package mmgp.engine;

import java.util.List;
import mmgp.api.ImageRequest;
import mmgp.api.ImageResult;
import mmgp.api.InvalidRequestException;
import mmgp.api.StageTimings;
import mmgp.engine.spi.BatchItem;
import mmgp.engine.spi.CostEstimate;

/**
 * Draws a 16×16 black image per prompt; requests batch when steps, size and guidance match. Its
 * cost: {@link #BYTES_PER_PIXEL} bytes per requested pixel and image, {@link #FLOPS_PER_PIXEL_STEP}
 * FLOPs per pixel, step and image; its native size is 256×256 unless given.
 */
final class FakeImageModel extends FakeBatchModel<ImageRequest, ImageResult> {
    static final long BYTES_PER_PIXEL = 256;
    static final double FLOPS_PER_PIXEL_STEP = 1e6;
    static final CostEstimate.Size NATIVE = new CostEstimate.Size(256, 256);
    private final CostEstimate.Size nativeSize;
    /** The native pixel count its estimates give (0: none, only the per-side native size). */
    volatile long nativePixels;
    /** Called with the batch size on each estimate (may block or throw); null: nothing. */
    volatile java.util.function.IntConsumer onEstimate;

    FakeImageModel() {
        this(NATIVE);
    }

    FakeImageModel(CostEstimate.Size nativeSize) {
        this.nativeSize = nativeSize;
    }

    /** Called on each validation (may throw a refusal); null: nothing. */
    volatile java.util.function.Consumer<ImageRequest> onValidate;

    @Override
    public void validate(ImageRequest request) {
        java.util.function.Consumer<ImageRequest> hook = onValidate;
        if (hook != null) hook.accept(request);
        if (request.options().width() % 16 != 0) throw new InvalidRequestException("width", "must be a multiple of 16, got " + request.options().width());
    }

    @Override
    public Object batchKey(ImageRequest request) {
        var o = request.options();
        return List.of(o.steps(), o.width(), o.height(), o.guidanceScale());
    }

    @Override
    public CostEstimate estimate(List<ImageRequest> batch) {
        java.util.function.IntConsumer hook = onEstimate;
        if (hook != null) hook.accept(batch.size());
        var o = batch.getFirst().options();
        long pixels = (long) o.width() * o.height();
        String what = batch.size() == 1 ? "a " + o.width() + "×" + o.height() + " image" : "a batch of " + batch.size() + " " + o.width() + "×" + o.height() + " images";
        return new CostEstimate(what, batch.size() * pixels * BYTES_PER_PIXEL, batch.size() * pixels * o.steps() * FLOPS_PER_PIXEL_STEP,
                new CostEstimate.Size(o.width(), o.height()), nativeSize, null, nativePixels);
    }

    @Override
    String prompt(ImageRequest request) {
        return request.prompt();
    }

    @Override
    int steps(ImageRequest request) {
        return request.options().steps();
    }

    @Override
    String stepStage() {
        return "denoise";
    }

    @Override
    ImageResult result(BatchItem<ImageRequest> item, int batchSize, StageTimings timings) {
        return new ImageResult(16, 16, new float[3 * 16 * 16], item.request().options().seed(), timings, batchSize);
    }
}
