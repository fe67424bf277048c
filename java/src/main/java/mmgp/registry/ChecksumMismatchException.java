package mmgp.registry;

import java.io.IOException;

/** A downloaded or installed file whose hash is not the published one. */
public final class ChecksumMismatchException extends IOException {
    public ChecksumMismatchException(String message) {
        super(message);
    }
}
