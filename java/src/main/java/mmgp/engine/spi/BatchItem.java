package mmgp.engine.spi;

import java.util.Objects;
import mmgp.api.ProgressListener;

/** One request of a batch and the listener of the caller who sent it (its own progress, text and cancellation). */
public record BatchItem<Q>(Q request, ProgressListener listener) {
    public BatchItem {
        Objects.requireNonNull(request, "request");
        if (listener == null) listener = ProgressListener.NONE;
    }
}
