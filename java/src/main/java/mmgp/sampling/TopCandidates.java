package mmgp.sampling;

import static mmgp.tensor.FloatLanes.F32;
import static mmgp.tensor.FloatLanes.ORDER;
import static mmgp.tensor.FloatLanes.SPECIES;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The {@code m} best of {@code n} floats with their indices, best first, found with a bounded min-heap
 * instead of a full sort. Order: larger value first; among equal values the larger index first, which is
 * the order a stable ascending sort gives when read backwards (the order HF's top-p walks).
 *
 * <p>The vector path skips, lane-wise, every value that cannot enter (see {@link #collect}); the scalar
 * reference offers every value to the heap. Both give the same candidates in the same order.
 */
final class TopCandidates {

    /** Vectors per chunk whose maximum bounds the candidates. */
    private static final int CHUNK_VECTORS = 4;

    private float[] values;
    private int[] indices;
    private int size;
    private float[] chunkMaxima = new float[0];
    private float[] selection = new float[0];

    TopCandidates(int capacity) {
        values = new float[Math.max(1, capacity)];
        indices = new int[values.length];
    }

    /**
     * Vector API path: collects the {@code min(m, n)} best of {@code x[0..n)}.
     *
     * <p>With enough input it first takes the maximum of every {@value #CHUNK_VECTORS}-vector chunk. The m-th
     * largest chunk maximum {@code T} is a lower bound for the m best (m chunks each hold a value {@code >= T}),
     * so only values {@code >= T} go through the heap, and chunks whose maximum is below {@code T} are skipped.
     */
    void collect(MemorySegment x, int n, int m) {
        requirePositive(m);
        int lanes = SPECIES.length();
        int chunk = CHUNK_VECTORS * lanes;
        int chunks = n / chunk;
        if (chunks < 2 * m) {
            collectByScanning(x, n, m);
            return;
        }
        reserve(m);
        if (chunkMaxima.length < chunks) {
            chunkMaxima = new float[chunks];
            selection = new float[chunks];
        }
        for (int c = 0; c < chunks; c++) {
            long base = 4L * c * chunk;
            FloatVector a = FloatVector.fromMemorySegment(SPECIES, x, base, ORDER);
            for (int v = 1; v < CHUNK_VECTORS; v++) {
                a = a.max(FloatVector.fromMemorySegment(SPECIES, x, base + 4L * v * lanes, ORDER));
            }
            chunkMaxima[c] = a.reduceLanes(VectorOperators.MAX);
        }
        System.arraycopy(chunkMaxima, 0, selection, 0, chunks);
        float bound = FloatSelection.kthLargest(selection, 0, chunks, m - 1);

        size = 0;
        for (int c = 0; c < chunks; c++) {
            if (chunkMaxima[c] < bound) {
                continue;
            }
            for (int i = c * chunk; i < (c + 1) * chunk; i += lanes) {
                FloatVector v = FloatVector.fromMemorySegment(SPECIES, x, 4L * i, ORDER);
                if (v.compare(VectorOperators.GE, bound).anyTrue()) {
                    for (int j = i; j < i + lanes; j++) {
                        addIfAtLeast(x.getAtIndex(F32, j), j, bound, m);
                    }
                }
            }
        }
        for (int i = chunks * chunk; i < n; i++) {
            addIfAtLeast(x.getAtIndex(F32, i), i, bound, m);
        }
        sortBestFirst();
    }

    /** Vector path for small inputs: heap of the first m, then lane-wise skipping against its minimum. */
    private void collectByScanning(MemorySegment x, int n, int m) {
        int i = fill(x, n, m);
        int lanes = SPECIES.length();
        int upper = i + SPECIES.loopBound(n - i);
        for (; i < upper; i += lanes) {
            FloatVector v = FloatVector.fromMemorySegment(SPECIES, x, 4L * i, ORDER);
            // Scanning in index order, a later value equal to the minimum outranks it (larger index): GE.
            if (v.compare(VectorOperators.GE, values[0]).anyTrue()) {
                for (int j = i; j < i + lanes; j++) {
                    offer(x.getAtIndex(F32, j), j);
                }
            }
        }
        for (; i < n; i++) {
            offer(x.getAtIndex(F32, i), i);
        }
        sortBestFirst();
    }

    private void addIfAtLeast(float v, int index, float bound, int m) {
        if (v < bound) {
            return;
        }
        if (size < m) {
            push(v, index);
        } else {
            offer(v, index);
        }
    }

    /** Scalar reference path of {@link #collect}. */
    void collectScalar(MemorySegment x, int n, int m) {
        for (int i = fill(x, n, m); i < n; i++) {
            offer(x.getAtIndex(F32, i), i);
        }
        sortBestFirst();
    }

    int size() {
        return size;
    }

    /** Value of the candidate at {@code rank} (0 = best). */
    float value(int rank) {
        return values[rank];
    }

    /** Index of the candidate at {@code rank} (0 = best). */
    int index(int rank) {
        return indices[rank];
    }

    /** Heap of the first {@code min(m, n)} values; returns the next index to scan. */
    private int fill(MemorySegment x, int n, int m) {
        requirePositive(m);
        int count = Math.min(m, n);
        reserve(count);
        size = 0;
        for (int i = 0; i < count; i++) {
            push(x.getAtIndex(F32, i), i);
        }
        return count;
    }

    private void reserve(int capacity) {
        if (capacity > values.length) {
            values = new float[capacity];
            indices = new int[capacity];
        }
    }

    /** Adds {@code (v, index)} to a heap that is not full. */
    private void push(float v, int index) {
        int child = size++;
        while (child > 0) {
            int parent = (child - 1) >>> 1;
            if (!worse(v, index, values[parent], indices[parent])) {
                break;
            }
            move(child, parent);
            child = parent;
        }
        place(child, v, index);
    }

    private static void requirePositive(int m) {
        if (m <= 0) {
            throw new IllegalArgumentException("candidate count must be positive: " + m);
        }
    }

    /** Replaces the heap minimum if {@code (v, index)} outranks it; indices arrive in increasing order. */
    private void offer(float v, int index) {
        if (v >= values[0]) {
            siftDown(v, index, size);
        }
    }

    /** Puts {@code (v, index)} at the root and restores the heap over {@code [0, limit)}. */
    private void siftDown(float v, int index, int limit) {
        int parent = 0;
        while (true) {
            int child = 2 * parent + 1;
            if (child >= limit) {
                break;
            }
            if (child + 1 < limit && worse(values[child + 1], indices[child + 1], values[child], indices[child])) {
                child++;
            }
            if (!worse(values[child], indices[child], v, index)) {
                break;
            }
            move(parent, child);
            parent = child;
        }
        place(parent, v, index);
    }

    /** Heapsort: moving the minimum to the end each time leaves the best candidate at rank 0. */
    private void sortBestFirst() {
        for (int end = size - 1; end > 0; end--) {
            float v = values[end];
            int index = indices[end];
            move(end, 0);
            siftDown(v, index, end);
        }
    }

    private void move(int to, int from) {
        values[to] = values[from];
        indices[to] = indices[from];
    }

    private void place(int at, float v, int index) {
        values[at] = v;
        indices[at] = index;
    }

    private static boolean worse(float v, int index, float otherValue, int otherIndex) {
        return v < otherValue || (v == otherValue && index < otherIndex);
    }
}
