package mmgp.gguf;

import java.io.IOException;

/**
 * A GGUF file is malformed, truncated, hostile, or lacks a key/tensor the caller asked for. The message
 * names the field, the byte offset where it was read (when there is one) and expected versus actual.
 * It is an {@link IOException} because it is one more way a file can fail to be read.
 */
public final class GgufFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final long byteOffset;

    /** A problem not tied to one position in the file, such as a missing key. */
    public GgufFormatException(String message) {
        super(message);
        this.byteOffset = -1;
    }

    /** A problem with {@code field}, read at {@code byteOffset} from the start of the GGUF data. */
    public GgufFormatException(String field, long byteOffset, String problem) {
        super(field + " at byte offset " + byteOffset + ": " + problem);
        this.byteOffset = byteOffset;
    }

    /** The same problem, prefixed with the file it was found in. */
    GgufFormatException(java.nio.file.Path file, GgufFormatException problem) {
        super(file + ": " + problem.getMessage(), problem);
        this.byteOffset = problem.byteOffset;
    }

    /** Where the offending field starts, or -1 when the problem has no single position. */
    public long byteOffset() {
        return byteOffset;
    }
}
