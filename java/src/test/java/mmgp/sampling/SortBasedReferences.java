package mmgp.sampling;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Straightforward full-sort versions of the HF logits warpers, written from the transformers source, to
 * check the partial-selection kernels against. Each returns a keep mask.
 */
final class SortBasedReferences {

    private SortBasedReferences() {
    }

    /** TopKLogitsWarper: keep {@code x >= } the k-th largest value (sorted descending, index k-1). */
    static boolean[] topK(float[] logits, int k) {
        float[] sorted = logits.clone();
        java.util.Arrays.sort(sorted);
        int kept = Math.min(k, logits.length);
        float threshold = sorted[logits.length - kept];
        boolean[] keep = new boolean[logits.length];
        for (int i = 0; i < logits.length; i++) {
            keep[i] = logits[i] >= threshold;
        }
        return keep;
    }

    /**
     * TopPLogitsWarper with a stable sort: sort ascending by logit, cumulative sum of the probabilities in
     * that order (accumulated in double, read as float like torch's CPU cumsum), drop where it is
     * {@code <= 1 - p}, always keep the last. {@code probabilities} is the softmax of {@code logits}.
     */
    static boolean[] topP(float[] logits, float[] probabilities, float p) {
        int n = logits.length;
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingDouble(i -> logits[i])); // List.sort is stable: ties by index
        float dropAtOrBelow = (float) (1.0 - p);
        boolean[] keep = new boolean[n];
        double cumulative = 0;
        for (int position = 0; position < n; position++) {
            int index = order.get(position);
            cumulative += probabilities[index];
            boolean drop = (float) cumulative <= dropAtOrBelow && position != n - 1;
            keep[index] = !drop;
        }
        return keep;
    }

    /** MinPLogitsWarper: drop {@code p < minP * max(p)}; the top token (argsort descending) always stays. */
    static boolean[] minP(float[] probabilities, float minP) {
        float max = Float.NEGATIVE_INFINITY;
        int top = 0;
        for (int i = 0; i < probabilities.length; i++) {
            if (probabilities[i] > max) {
                max = probabilities[i];
                top = i;
            }
        }
        float bound = minP * max;
        boolean[] keep = new boolean[probabilities.length];
        for (int i = 0; i < probabilities.length; i++) {
            keep[i] = !(probabilities[i] < bound);
        }
        keep[top] = true;
        return keep;
    }

    static int count(boolean[] keep) {
        int n = 0;
        for (boolean k : keep) {
            n += k ? 1 : 0;
        }
        return n;
    }
}
