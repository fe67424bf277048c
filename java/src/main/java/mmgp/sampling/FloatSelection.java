package mmgp.sampling;

/**
 * The k-th smallest of a range of floats by quickselect, in expected linear time, without sorting. It uses
 * a three-way partition so that long runs of equal values (masked logits, ties) stay linear. The range is
 * reordered. NaN is not supported.
 */
public final class FloatSelection {

    private FloatSelection() {
    }

    /** The value at position {@code k} (0-based) of {@code a[from..to)} sorted ascending. */
    public static float kthSmallest(float[] a, int from, int to, int k) {
        java.util.Objects.checkFromToIndex(from, to, a.length);
        java.util.Objects.checkIndex(k, to - from);
        int lo = from;
        int hi = to - 1;
        int target = from + k;
        while (lo < hi) {
            float pivot = medianOfThree(a[lo], a[(lo + hi) >>> 1], a[hi]);
            int lt = lo;
            int i = lo;
            int gt = hi;
            while (i <= gt) {
                float v = a[i];
                if (v < pivot) {
                    swap(a, lt++, i++);
                } else if (v > pivot) {
                    swap(a, i, gt--);
                } else {
                    i++;
                }
            }
            if (target < lt) {
                hi = lt - 1;
            } else if (target > gt) {
                lo = gt + 1;
            } else {
                return pivot;
            }
        }
        return a[target];
    }

    /** The value at position {@code k} (0-based) of {@code a[from..to)} sorted descending. */
    public static float kthLargest(float[] a, int from, int to, int k) {
        java.util.Objects.checkIndex(k, to - from);
        return kthSmallest(a, from, to, to - from - 1 - k);
    }

    private static float medianOfThree(float a, float b, float c) {
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }

    private static void swap(float[] a, int i, int j) {
        float t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
