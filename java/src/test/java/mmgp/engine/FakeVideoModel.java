package mmgp.engine;

import java.util.List;
import mmgp.api.StageTimings;
import mmgp.api.VideoRequest;
import mmgp.api.VideoResult;
import mmgp.engine.spi.BatchItem;
import mmgp.engine.spi.CostEstimate;

/** Films a tiny black clip per prompt. */
final class FakeVideoModel extends FakeBatchModel<VideoRequest, VideoResult> {
    /** Refuses start images, as a video model without a VAE encoder does. */
    volatile boolean textOnly;
    /** Whether each filmed request had a start image, in order. */
    final List<Boolean> startImages = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public void validate(VideoRequest request) {
        if (textOnly && request.startImageFile() != null) throw new mmgp.api.InvalidRequestException("image", "this video model cannot start from an image");
        if (request.startImageFile() != null && !java.nio.file.Files.isRegularFile(request.startImageFile())) {
            throw new mmgp.api.InvalidRequestException("image", "no such file " + request.startImageFile());
        }
    }

    /** The steps a request that leaves them to the model runs (as LTX-Video 0.9.5's recommended 40). */
    static final int DEFAULT_STEPS = 40;

    /** 64 bytes per requested pixel of every frame; 10⁶ FLOPs per pixel, frame and step. */
    @Override
    public CostEstimate estimate(List<VideoRequest> batch) {
        var o = batch.getFirst().options();
        long voxels = (long) o.width() * o.height() * o.frames();
        return new CostEstimate("a " + o.width() + "×" + o.height() + "×" + o.frames() + " video" + (batch.size() > 1 ? " batch of " + batch.size() : ""),
                batch.size() * voxels * 64, batch.size() * voxels * o.steps() * 1e6, new CostEstimate.Size(o.width(), o.height()), null)
                .withSteps(o.modelSteps() ? DEFAULT_STEPS : o.steps());
    }

    @Override
    public Object batchKey(VideoRequest request) {
        var o = request.options();
        return List.of(o.frames(), o.width(), o.height(), o.steps(), o.guidanceScale());
    }

    @Override
    String prompt(VideoRequest request) {
        return request.prompt();
    }

    @Override
    int steps(VideoRequest request) {
        return request.options().steps();
    }

    @Override
    String stepStage() {
        return "denoise";
    }

    @Override
    VideoResult result(BatchItem<VideoRequest> item, int batchSize, StageTimings timings) {
        startImages.add(item.request().startImageFile() != null);
        var o = item.request().options();
        return new VideoResult(o.frames(), o.width(), o.height(), o.frameRate(), new float[3 * o.frames() * o.width() * o.height()],
                o.seed(), timings, batchSize);
    }
}
