package mmgp.sampling;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Test inputs: random float arrays and their copies in native memory, at awkward lengths. */
public final class RandomArrays {

    /** Lengths around common vector widths, 1, and the SmolVLM2 vocabulary size (49,152) and beyond. */
    public static final int[] LENGTHS = {1, 2, 3, 7, 15, 16, 17, 31, 33, 64, 100, 1000, 4099, 49152, 49157};

    private RandomArrays() {
    }

    /** Gaussian values with standard deviation {@code sigma}. */
    public static float[] gaussian(long seed, int n, double sigma) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextGaussian() * sigma);
        }
        return values;
    }

    /** Values from only {@code levels} distinct steps of {@code step}: many exact ties. */
    public static float[] quantized(long seed, int n, int levels, float step) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = random.nextInt(levels) * step;
        }
        return values;
    }

    /** A copy in native memory, deliberately misaligned by one byte to exercise unaligned access. */
    public static MemorySegment misalignedNative(Arena arena, float[] values) {
        MemorySegment block = arena.allocate(4L * values.length + 1, 8);
        MemorySegment segment = block.asSlice(1, 4L * values.length);
        MemorySegment.copy(values, 0, segment, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, values.length);
        return segment;
    }

    public static float[] toArray(MemorySegment segment, int n) {
        float[] values = new float[n];
        MemorySegment.copy(segment, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, values, 0, n);
        return values;
    }
}
