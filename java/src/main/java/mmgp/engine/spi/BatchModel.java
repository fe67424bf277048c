package mmgp.engine.spi;

import java.util.List;
import mmgp.api.ProgressListener;

/**
 * A loaded model that runs several requests in one call. The engine groups queued requests whose
 * {@link #batchKey} are equal (same sizes, steps, guidance: what must match for one graph) up to
 * {@link #maxBatch}, and calls {@link #run} from one thread at a time. {@link #validate} and
 * {@link #batchKey} run in the submitting threads, possibly while {@link #run} computes: they
 * must only read the model's configuration.
 *
 * @param <Q> request type
 * @param <R> result type
 */
public interface BatchModel<Q, R> extends AutoCloseable {
    /** Human-readable: family, file, weight types. */
    String description();

    /**
     * Refuses, with {@link mmgp.api.InvalidRequestException} naming the field, a request this
     * model cannot run (e.g. a width that is not a multiple of its patch size). Called when the
     * request is submitted, before it is queued.
     */
    void validate(Q request);

    /** Requests with equal keys may share one {@link #run}. */
    Object batchKey(Q request);

    /** The largest batch this model accepts in one {@link #run}. */
    int maxBatch();

    /**
     * The cost of running {@code batch} (requests with one {@link #batchKey}, already validated)
     * in one {@link #run}: its peak memory beyond the weights and its FLOPs. Called when a
     * request is submitted and while a batch is gathered, in the same threads as
     * {@link #validate}, so it must only read the model's configuration, and be quick (cache by
     * key and batch size when it builds graphs). The default knows nothing, and the engine then
     * admits every request.
     */
    default CostEstimate estimate(List<Q> batch) {
        return CostEstimate.unknown(batch.size() + " request(s)");
    }

    /**
     * The engine's memory budget per batch ({@link #estimate}'s peak may not exceed it; 0: no
     * budget), told once after the model is opened and before any other call. A model whose
     * working memory has a default the request may override (LTX-Video's VAE decode budget,
     * {@code vae_memory_bytes}) fits that default within the budget, in its estimates and its
     * runs alike. The default ignores it.
     */
    default void memoryBudget(long bytes) {}

    /**
     * Runs the batch; one result per item, in order. Every item's seed gives the same result
     * whether it runs alone or batched. Progress of the whole batch goes to {@code batch}, whose
     * {@link ProgressListener#cancelled()} turns true once every item is cancelled; text meant
     * for one caller (a streamed caption) goes to that item's listener.
     */
    List<R> run(List<BatchItem<Q>> items, ProgressListener batch) throws Exception;
}
