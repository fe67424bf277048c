package mmgp.api;

import java.util.Objects;

/** The full pipeline: caption the video with {@code captionPrompt}, then an image and a video from the caption. */
public record PipelineOptions(String captionPrompt, UnderstandOptions caption, ImageOptions image, VideoOptions video) {
    public PipelineOptions {
        Objects.requireNonNull(captionPrompt, "captionPrompt");
        Objects.requireNonNull(caption, "caption");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(video, "video");
        if (captionPrompt.isBlank()) throw new InvalidRequestException("caption_prompt", "must not be blank");
    }

    public static PipelineOptions defaults() {
        return new PipelineOptions("Describe this video in one sentence.", UnderstandOptions.defaults().withMaxNewTokens(48),
                ImageOptions.defaults(), VideoOptions.defaults());
    }
}
