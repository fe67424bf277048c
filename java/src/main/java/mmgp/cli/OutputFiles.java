package mmgp.cli;

import java.nio.file.Path;

/** Names of a command's output files when one request makes several of them. */
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
}
