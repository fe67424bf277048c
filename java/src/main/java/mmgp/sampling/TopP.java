package mmgp.sampling;

import static mmgp.tensor.FloatLanes.F32;
import static mmgp.tensor.FloatLanes.ORDER;
import static mmgp.tensor.FloatLanes.SPECIES;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Nucleus (top-p) filtering as HF's TopPLogitsWarper (min_tokens_to_keep = 1): keeps the smallest set of
 * most likely tokens whose cumulative probability reaches {@code p}, and sets the other logits to
 * {@code -inf}.
 *
 * <p>HF sorts the logits ascending, takes the cumulative sum of their softmax and drops every token whose
 * cumulative sum is {@code <= 1 - p}, always keeping the last one. This class applies the same rule with the
 * same roundings: the cumulative sum of a token is the probability mass of itself and everything ranked below
 * it, accumulated in double (torch's CPU cumsum accumulates float in double) and rounded to float, and
 * {@code 1 - p} is rounded to float before the comparison, as torch compares a float tensor with a Python
 * scalar. (The double sums are taken in another order than HF's, which can only matter when a cumulative sum
 * lies within about 1e-16 of a float rounding boundary.) Ties between equal logits follow a stable ascending
 * sort: the smaller index is dropped first.
 *
 * <p>It walks the ranking from the top instead of sorting everything: a bounded heap finds the best
 * {@value #CANDIDATES} tokens, which hold the nucleus of a peaked (language-model) distribution. Only when they
 * do not (a flat distribution and a large p) does it sort the tokens with nonzero probability, as HF always
 * does.
 */
public final class TopP {

    private static final int CANDIDATES = 256;
    /** Block length for the probability total: float lanes within a block, double across blocks. */
    private static final int SUM_BLOCK = 1024;

    private final TopCandidates candidates = new TopCandidates(CANDIDATES);
    private float[] probabilities = new float[0];
    private MemorySegment probabilitySegment = MemorySegment.ofArray(probabilities);
    private long[] sortKeys = new long[0];

    /** Vector API path; returns the number of logits kept. */
    public int apply(MemorySegment logits, int n, float p) {
        return filter(logits, n, p, true);
    }

    /** Scalar reference path. */
    public int applyScalar(MemorySegment logits, int n, float p) {
        return filter(logits, n, p, false);
    }

    public int apply(float[] logits, float p) {
        return apply(MemorySegment.ofArray(logits), logits.length, p);
    }

    private int filter(MemorySegment logits, int n, float p, boolean vectorized) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("top-p must be in [0, 1]: " + p);
        }
        if (n <= 0) {
            throw new IllegalArgumentException("need at least one logit, got " + n);
        }
        if (p == 1f) {
            return n; // HF does not install the warper for p = 1
        }
        if (probabilities.length < n) {
            probabilities = new float[n];
            probabilitySegment = MemorySegment.ofArray(probabilities);
        }
        double total;
        if (vectorized) {
            Softmax.softmax(logits, probabilitySegment, n);
            total = sumVector(n);
        } else {
            Softmax.softmaxScalar(logits, probabilitySegment, n);
            total = sumScalar(n);
        }
        float dropAtOrBelow = (float) (1.0 - p);

        // Walk the heap's ranking; it is the global ranking's prefix, so a cut inside it is the global cut.
        if (vectorized) {
            candidates.collect(logits, n, CANDIDATES);
        } else {
            candidates.collectScalar(logits, n, CANDIDATES);
        }
        double above = 0;
        for (int rank = 0; rank < candidates.size(); rank++) {
            int index = candidates.index(rank);
            float probability = probabilities[index];
            if (rank > 0 && dropped(probability, total - above, dropAtOrBelow)) {
                int last = candidates.index(rank - 1);
                return mask(logits, n, logits.getAtIndex(F32, last), last, vectorized);
            }
            above += probability;
        }
        if (candidates.size() == n) {
            return n;
        }
        return filterBySorting(logits, n, total, dropAtOrBelow, vectorized);
    }

    /** HF's rule: drop when the mass of this token and all below it is {@code <= 1 - p}. */
    private static boolean dropped(float probability, double massFromHere, float dropAtOrBelow) {
        return probability == 0 || (float) massFromHere <= dropAtOrBelow;
    }

    private int filterBySorting(MemorySegment logits, int n, double total, float dropAtOrBelow, boolean vectorized) {
        if (sortKeys.length < n) {
            sortKeys = new long[n];
        }
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (probabilities[i] > 0) {
                sortKeys[count++] = ((long) orderedBits(logits.getAtIndex(F32, i)) << 32) | i;
            }
        }
        Arrays.sort(sortKeys, 0, count); // ascending (logit, index): HF's stable ascending sort
        double above = 0;
        for (int position = count - 1; position >= 0; position--) {
            int index = (int) sortKeys[position];
            float probability = probabilities[index];
            if (position < count - 1 && dropped(probability, total - above, dropAtOrBelow)) {
                int last = (int) sortKeys[position + 1];
                return mask(logits, n, logits.getAtIndex(F32, last), last, vectorized);
            }
            above += probability;
        }
        // Every token of nonzero probability stays; the zero-probability ones always go (their mass is 0).
        int last = (int) sortKeys[0];
        return mask(logits, n, logits.getAtIndex(F32, last), last, vectorized);
    }

    private static int mask(MemorySegment logits, int n, float boundaryValue, int boundaryIndex, boolean vectorized) {
        return vectorized
                ? LogitMask.keepFrom(logits, n, boundaryValue, boundaryIndex)
                : LogitMask.keepFromScalar(logits, n, boundaryValue, boundaryIndex);
    }

    /** Float bits mapped to a signed int with the same order as the floats; -0 and +0 map alike. */
    private static int orderedBits(float value) {
        int bits = Float.floatToRawIntBits(value + 0f);
        return bits ^ ((bits >> 31) & 0x7FFF_FFFF);
    }

    private double sumVector(int n) {
        double total = 0;
        int start = 0;
        for (; start + SUM_BLOCK <= n; start += SUM_BLOCK) {
            total += blockSum(start, start + SUM_BLOCK);
        }
        for (int i = start; i < n; i++) {
            total += probabilities[i];
        }
        return total;
    }

    /** Float-lane sum of a block whose length is a multiple of the lane count. */
    private float blockSum(int from, int to) {
        FloatVector acc = FloatVector.zero(SPECIES);
        for (int i = from; i < to; i += SPECIES.length()) {
            acc = acc.add(FloatVector.fromMemorySegment(SPECIES, probabilitySegment, 4L * i, ORDER));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private double sumScalar(int n) {
        double total = 0;
        for (int i = 0; i < n; i++) {
            total += probabilities[i];
        }
        return total;
    }
}
