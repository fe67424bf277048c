package mmgp.api;

import java.nio.file.Path;
import java.util.Objects;

/** What an understanding request looks at: a video file, an image file, or nothing (text only). */
public sealed interface Media {
    record VideoFile(Path file) implements Media {
        public VideoFile {
            Objects.requireNonNull(file, "file");
        }
    }

    record ImageFile(Path file) implements Media {
        public ImageFile {
            Objects.requireNonNull(file, "file");
        }
    }

    record None() implements Media {}

    static Media video(Path file) {
        return new VideoFile(file);
    }

    static Media image(Path file) {
        return new ImageFile(file);
    }
}
