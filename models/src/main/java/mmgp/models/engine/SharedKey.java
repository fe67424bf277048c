package mmgp.models.engine;

import java.util.List;
import mmgp.engine.spi.BatchItem;
import mmgp.engine.spi.BatchModel;

/** The check a one-graph model makes before running a batch: the engine only groups equal keys, a direct caller might not. */
final class SharedKey {
    private SharedKey() {}

    /** @throws IllegalArgumentException naming the first request whose batch key differs from the first one's */
    static <Q> void require(BatchModel<Q, ?> model, List<BatchItem<Q>> items) {
        Object key = model.batchKey(items.getFirst().request());
        for (int i = 1; i < items.size(); i++) {
            Object other = model.batchKey(items.get(i).request());
            if (!other.equals(key)) {
                throw new IllegalArgumentException("request " + i + " of the batch has other options than the first (" + other + " vs " + key
                        + "); only requests with equal batch keys can share a run");
            }
        }
    }
}
