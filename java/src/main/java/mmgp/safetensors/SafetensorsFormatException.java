package mmgp.safetensors;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file (or sharded checkpoint index) is malformed, truncated, hostile, or lacks a tensor
 * the caller asked for. The message names the tensor or field, what was expected and what was found,
 * and for JSON syntax errors the byte offset in the file.
 */
public final class SafetensorsFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    public SafetensorsFormatException(String message) {
        super(message);
    }

    public SafetensorsFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The same problem, prefixed with the file it was found in. */
    SafetensorsFormatException(Path file, SafetensorsFormatException problem) {
        super(file + ": " + problem.getMessage(), problem);
    }
}
