package mmgp.bindings;

/** A native library or symbol that mmgp needs is missing or does not match the pinned build. */
public final class NativeLibraryException extends RuntimeException {
    public NativeLibraryException(String message) {
        super(message);
    }

    public NativeLibraryException(String message, Throwable cause) {
        super(message, cause);
    }
}
