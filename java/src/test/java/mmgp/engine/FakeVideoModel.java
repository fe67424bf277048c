package mmgp.engine;

import java.util.List;
import mmgp.api.StageTimings;
import mmgp.api.VideoRequest;
import mmgp.api.VideoResult;
import mmgp.engine.spi.BatchItem;

/** Films a tiny black clip per prompt. */
final class FakeVideoModel extends FakeBatchModel<VideoRequest, VideoResult> {
    @Override
    public void validate(VideoRequest request) {}

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
        var o = item.request().options();
        return new VideoResult(o.frames(), o.width(), o.height(), o.frameRate(), new float[3 * o.frames() * o.width() * o.height()],
                o.seed(), timings, batchSize);
    }
}
