package mmgp.sampling;

import java.lang.foreign.MemorySegment;

/**
 * Top-k filtering as HF's TopKLogitsWarper: logits below the k-th largest value become {@code -inf}; ties
 * with the k-th value all survive, so more than k may remain. The threshold comes from partial selection,
 * never a full sort: a bounded heap for small k, quickselect on a copy otherwise. Buffers are reused, so a
 * call allocates nothing once the instance has seen its largest k.
 */
public final class TopK {

    /** Above {@code n / HEAP_FRACTION} candidates, quickselect beats the heap's log-factor. */
    private static final int HEAP_FRACTION = 16;

    private final TopCandidates candidates = new TopCandidates(64);
    private float[] selection = new float[0];

    /** Vector API path; returns the number of logits kept. */
    public int apply(MemorySegment logits, int n, int k) {
        return filter(logits, n, k, true);
    }

    /** Scalar reference path. */
    public int applyScalar(MemorySegment logits, int n, int k) {
        return filter(logits, n, k, false);
    }

    public int apply(float[] logits, int k) {
        return apply(MemorySegment.ofArray(logits), logits.length, k);
    }

    /**
     * Indices of the {@code k} largest values, best first; among equal values the lower index first, and
     * {@code -inf} entries never (so fewer than {@code k} may come back). This is the selection a beam
     * search ranks its candidates by: unlike {@link #apply}, which masks in place and lets ties at the k-th
     * value through, it returns exactly the ranked indices. An insertion into a sorted window of k, one
     * pass over the values: for the small k of a beam search, cheaper than a heap or a selection.
     */
    public static int[] largestIndices(float[] values, int k) {
        if (k <= 0) {
            throw new IllegalArgumentException("k must be positive: " + k);
        }
        int[] best = new int[k];
        int n = 0;
        for (int t = 0; t < values.length; t++) {
            float v = values[t];
            if (v == Float.NEGATIVE_INFINITY || (n == k && v <= values[best[n - 1]])) {
                continue;
            }
            int at = n < k ? n++ : k - 1;
            while (at > 0 && values[best[at - 1]] < v) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = t;
        }
        return java.util.Arrays.copyOf(best, n);
    }

    private int filter(MemorySegment logits, int n, int k, boolean vectorized) {
        if (k <= 0) {
            throw new IllegalArgumentException("k must be positive: " + k);
        }
        if (k >= n) {
            return n;
        }
        float threshold;
        if ((long) k * HEAP_FRACTION <= n) {
            if (vectorized) {
                candidates.collect(logits, n, k);
            } else {
                candidates.collectScalar(logits, n, k);
            }
            threshold = candidates.value(k - 1);
        } else {
            if (selection.length < n) {
                selection = new float[n];
            }
            MemorySegment.copy(logits, java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 0, selection, 0, n);
            threshold = FloatSelection.kthLargest(selection, 0, n, k - 1);
        }
        return vectorized ? LogitMask.keepFrom(logits, n, threshold, 0) : LogitMask.keepFromScalar(logits, n, threshold, 0);
    }
}
