package mmgp.api;

import java.util.Objects;

/**
 * The full pipeline: caption the video with {@code captionPrompt}, then an image and a video from
 * the caption. With {@code videoFromImage} (the default) the video starts from the image the
 * image stage made (image to video, the picture resized to the video size), so the clip opens on
 * that picture; without it the two are drawn independently from the same caption.
 */
public record PipelineOptions(String captionPrompt, UnderstandOptions caption, ImageOptions image, VideoOptions video, boolean videoFromImage) {
    public PipelineOptions {
        Objects.requireNonNull(captionPrompt, "captionPrompt");
        Objects.requireNonNull(caption, "caption");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(video, "video");
        if (captionPrompt.isBlank()) throw new InvalidRequestException("caption_prompt", "must not be blank");
    }

    /** The video starting from the generated image. */
    public PipelineOptions(String captionPrompt, UnderstandOptions caption, ImageOptions image, VideoOptions video) {
        this(captionPrompt, caption, image, video, true);
    }

    public static PipelineOptions defaults() {
        return new PipelineOptions("Describe this video in one sentence.", UnderstandOptions.defaults().withMaxNewTokens(48),
                ImageOptions.defaults(), VideoOptions.defaults());
    }

    /** Whether the video stage starts from the image stage's picture. */
    public PipelineOptions withVideoFromImage(boolean on) {
        return new PipelineOptions(captionPrompt, caption, image, video, on);
    }
}
