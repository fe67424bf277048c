package mmgp.models.smolvlm;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * What a SmolVLM2 prompt is about: nothing, an image, or a video, as a file or already in memory. The
 * prompt builder ({@link SmolVlmPromptBuilder}) turns it into tiles or sampled frames; callers only name it.
 */
public sealed interface SmolVlmMedia {
    record None() implements SmolVlmMedia {}
    record ImageFile(Path file) implements SmolVlmMedia { public ImageFile { Objects.requireNonNull(file, "file"); } }
    record Image(BufferedImage image) implements SmolVlmMedia { public Image { Objects.requireNonNull(image, "image"); } }
    record VideoFile(Path file) implements SmolVlmMedia { public VideoFile { Objects.requireNonNull(file, "file"); } }
    /** Frames already in memory (metadata and frame access as a video reader gives them). */
    record Video(SmolVlmVideoSampler.Video video) implements SmolVlmMedia { public Video { Objects.requireNonNull(video, "video"); } }

    Set<String> VIDEO_EXTENSIONS = Set.of("mp4", "m4v", "mov", "webm", "mkv", "avi", "mpg", "mpeg", "gif");

    static SmolVlmMedia none() { return new None(); }
    static SmolVlmMedia image(Path file) { return new ImageFile(file); }
    static SmolVlmMedia image(BufferedImage image) { return new Image(image); }
    static SmolVlmMedia video(Path file) { return new VideoFile(file); }
    static SmolVlmMedia video(SmolVlmVideoSampler.Video video) { return new Video(video); }

    /** A file by its extension: the video containers above (GIFs play as videos), else an image. */
    static SmolVlmMedia file(Path file) {
        String name = file.getFileName().toString();
        String ext = name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
        return VIDEO_EXTENSIONS.contains(ext) ? video(file) : image(file);
    }

    /** Fails early (before a model loads or any request of a batch runs) on a media file that is not there. */
    default void requireExists() throws IOException {
        Path file = switch (this) {
            case ImageFile f -> f.file();
            case VideoFile v -> v.file();
            default -> null;
        };
        if (file != null && !Files.isRegularFile(file)) {
            throw new IOException(Files.exists(file) ? file + " is not a regular file" : "no such media file: " + file);
        }
    }
}
