package mmgp.models.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import mmgp.engine.spi.BatchItem;

/**
 * The prompts and seeds of a batch of generation requests, in item order: what a diffusion pipeline's
 * {@code generateWithSeeds} takes, each item drawing its noise from its own seed.
 */
record SeededPrompts(List<String> prompts, long[] seeds) {

    static <Q> SeededPrompts of(List<BatchItem<Q>> items, Function<Q, String> prompt, ToLongFunction<Q> seed) {
        List<String> prompts = new ArrayList<>(items.size());
        long[] seeds = new long[items.size()];
        for (int i = 0; i < items.size(); i++) {
            Q request = items.get(i).request();
            prompts.add(prompt.apply(request));
            seeds[i] = seed.applyAsLong(request);
        }
        return new SeededPrompts(List.copyOf(prompts), seeds);
    }

    /** Item {@code i}'s part of a batch output that holds {@code perItem} values for each item in turn. */
    static float[] itemValues(float[] batchValues, int i, int perItem) {
        return Arrays.copyOfRange(batchValues, i * perItem, (i + 1) * perItem);
    }
}
