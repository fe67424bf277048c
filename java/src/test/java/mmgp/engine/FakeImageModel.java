package mmgp.engine;

import java.util.List;
import mmgp.api.ImageRequest;
import mmgp.api.ImageResult;
import mmgp.api.InvalidRequestException;
import mmgp.api.StageTimings;
import mmgp.engine.spi.BatchItem;

/** Draws a 16×16 black image per prompt; requests batch when steps, size and guidance match. */
final class FakeImageModel extends FakeBatchModel<ImageRequest, ImageResult> {
    @Override
    public void validate(ImageRequest request) {
        if (request.options().width() % 16 != 0) throw new InvalidRequestException("width", "must be a multiple of 16, got " + request.options().width());
    }

    @Override
    public Object batchKey(ImageRequest request) {
        var o = request.options();
        return List.of(o.steps(), o.width(), o.height(), o.guidanceScale());
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
