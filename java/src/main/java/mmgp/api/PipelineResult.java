package mmgp.api;

/**
 * What the pipeline produced. Stages that finished keep their results when a later one fails or
 * is cancelled: then {@code failedStage} names it ("caption", "image" or "video") and
 * {@code error} says why; both are null on success.
 */
public record PipelineResult(UnderstandResult caption, ImageResult image, VideoResult video, StageTimings timings,
                             String failedStage, String error) {
    public boolean complete() {
        return failedStage == null;
    }
}
