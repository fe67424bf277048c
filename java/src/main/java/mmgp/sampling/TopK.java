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
