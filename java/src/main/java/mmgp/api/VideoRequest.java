package mmgp.api;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Film {@code prompt}; with a {@code startImage} ({@link Media.ImageFile}) the video starts from
 * that picture (image to video), with {@link Media.None} from noise alone (text to video).
 */
public record VideoRequest(String prompt, VideoOptions options, Media startImage) {
    public VideoRequest {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(startImage, "startImage");
        if (prompt == null || prompt.isBlank()) throw new InvalidRequestException("prompt", "must not be blank");
        if (startImage instanceof Media.VideoFile) throw new InvalidRequestException("image", "the start of a video must be an image file, not a video");
    }

    /** Text to video. */
    public VideoRequest(String prompt, VideoOptions options) {
        this(prompt, options, new Media.None());
    }

    /** The start image's file, or null for text to video. */
    public Path startImageFile() {
        return startImage instanceof Media.ImageFile f ? f.file() : null;
    }

    public VideoRequest withStartImage(Path image) {
        return new VideoRequest(prompt, options, image == null ? new Media.None() : Media.image(image));
    }
}
