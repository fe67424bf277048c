package mmgp.check;

import java.util.Objects;

/**
 * What a {@link FixtureRunner} keeps loaded from case to case (a model, a processor): loading is the
 * slow part of most cases, so it is done again, the previous value closed, only when its key (the
 * fixture's checkpoint, and whatever else the value depends on) changes.
 *
 * @param <T> the loaded value; closed when replaced if it is {@link AutoCloseable}
 */
public final class KeptLoaded<T> {
    /** Loads the value for a new key. */
    @FunctionalInterface
    public interface Loader<T> {
        T load() throws Exception;
    }

    private Object key;
    private T value;

    /** The value loaded for {@code key}: the kept one when the key is the same, else a new one from {@code loader}. */
    public T get(Object key, Loader<T> loader) throws Exception {
        Objects.requireNonNull(key, "key");
        if (value != null && key.equals(this.key)) return value;
        T old = value;
        value = null; // a failed load below leaves nothing kept, so the next case loads again
        this.key = null;
        if (old instanceof AutoCloseable closeable) closeable.close();
        value = Objects.requireNonNull(loader.load(), "loaded value");
        this.key = key;
        return value;
    }
}
