package mmgp.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A command's output files: their names when one request makes several, and checks made before any work. */
public final class OutputFiles {
    private OutputFiles() {}

    /** {@code out} itself for a single result, else clip-1.mp4, clip-2.mp4… ({@code index} from 0). */
    public static Path numbered(Path out, int index, int count) {
        if (count == 1) return out;
        String name = out.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String suffix = "-" + (index + 1);
        return out.resolveSibling(dot > 0 ? name.substring(0, dot) + suffix + name.substring(dot) : name + suffix);
    }

    /** The lower-case extension of {@code file} without its dot, "" when it has none. */
    public static String extension(Path file) {
        return mmgp.media.Frames.extension(file);
    }

    /**
     * Checks, before a long generation starts, that {@code out} names one of {@code formats} by
     * its extension and that its folder can be written (created first if missing, then probed
     * with a temporary file, since permission bits alone do not say so for root or special file
     * systems). Returns the format, the extension as written in {@code formats}.
     *
     * @param what "image" or "video", for the messages
     * @throws IllegalArgumentException naming the problem and what to do instead
     */
    public static String checkWritable(Path out, List<String> formats, String what) {
        String ext = extension(out);
        if (!formats.contains(ext)) {
            throw new IllegalArgumentException(ext.isEmpty()
                    ? "output " + out + " has no extension; name the " + what + " format, one of " + String.join(", ", formats)
                    : "cannot write the " + what + " as ." + ext + " (" + out + "); use one of " + String.join(", ", formats));
        }
        if (Files.isDirectory(out)) throw new IllegalArgumentException("output " + out + " is a folder; give a file name such as " + out.resolve("out." + formats.getFirst()));
        Path dir = out.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".mmgp-write-check-", ".tmp");
            Files.delete(probe);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            throw new IllegalArgumentException("cannot write " + what + " files into " + dir + " (" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                    + "); choose another --out");
        }
        return ext;
    }
}
