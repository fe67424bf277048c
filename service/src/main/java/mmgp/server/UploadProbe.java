package mmgp.server;

import java.io.IOException;
import java.nio.file.Path;
import mmgp.media.VideoReader;

/**
 * Checks an uploaded video before its request is accepted: that FFmpeg opens the container, finds
 * a video stream and decodes its first frame, which is what the model will do with it. Random
 * bytes, an image renamed .mp4 or a truncated MP4 are then a 400 at once, not a job that fails
 * later. The messages say what is wrong with the file, never where the server keeps it.
 */
interface UploadProbe {
    /** Throws a 400 naming {@code field} when {@code file} is not a video the models can read. */
    void requireVideo(Path file, String field);

    /** The FFmpeg probe every server uses. */
    UploadProbe FFMPEG = (file, field) -> {
        try (VideoReader reader = VideoReader.open(file)) {
            try {
                reader.frame(0);
            } catch (IOException | RuntimeException e) {
                throw ApiException.badRequest(field, "the uploaded " + field + " has a " + reader.width() + "x" + reader.height()
                        + " video stream, but not even its first frame decodes (truncated or corrupt?)");
            }
        } catch (IOException e) {
            throw ApiException.badRequest(field, "the uploaded " + field + " is not a readable video: " + reason(e.getMessage()));
        }
    };

    /** Accepts anything: servers whose models never read the upload (the tests' fake models). */
    UploadProbe NONE = (file, field) -> { };

    /** What {@link VideoReader} found, without the file's path. */
    private static String reason(String message) {
        String m = message == null ? "" : message;
        if (m.contains("has no video stream")) return "it has no video stream";
        if (m.contains("is not a video FFmpeg can open")) return "FFmpeg does not recognise it as a video container (not a video, or corrupt)";
        if (m.contains("cannot read frames")) return "its video stream reports no frames, no frame rate or no size";
        return "FFmpeg cannot read it";
    }
}
