package mmgp.testing;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import mmgp.graph.ComputeBackend;
import mmgp.graph.WeightSet;
import mmgp.tensor.GgmlType;
import mmgp.tensor.HalfPrecision;

/**
 * Weights built in memory and placed as a checkpoint's are: all tensors in one 32-byte aligned
 * region, mapped as a {@link WeightSet}, so the code under test loads them through its normal path.
 */
public final class MappedWeights {
    /** One tensor: its name, F32 or F16, ggml shape, values, and whether it is a matmul weight. */
    public record Spec(String name, GgmlType type, long[] ne, float[] values, boolean matmulWeight) {
        public Spec {
            if (type != GgmlType.F32 && type != GgmlType.F16) throw new IllegalArgumentException(name + ": F32 or F16 only, not " + type);
            long n = 1;
            for (long d : ne) n *= d;
            if (n != values.length) throw new IllegalArgumentException(name + ": " + values.length + " values for " + n + " elements");
        }

        public Spec(String name, GgmlType type, long[] ne, float[] values) {
            this(name, type, ne, values, false);
        }

        long bytes() {
            return align(values.length * (long) (type == GgmlType.F16 ? 2 : 4));
        }
    }

    private MappedWeights() {}

    /** The tensors laid out in a region allocated from {@code arena} (which must outlive the set), mapped. */
    public static WeightSet map(ComputeBackend backend, Arena arena, List<Spec> specs) {
        long size = 0;
        for (Spec s : specs) size += s.bytes();
        MemorySegment region = arena.allocate(Math.max(size, 32), 32);
        List<WeightSet.Entry> entries = new ArrayList<>();
        long offset = 0;
        for (Spec s : specs) {
            float[] v = s.values();
            for (int i = 0; i < v.length; i++) {
                if (s.type() == GgmlType.F16) region.set(ValueLayout.JAVA_SHORT_UNALIGNED, offset + 2L * i, HalfPrecision.floatToF16(v[i]));
                else region.set(ValueLayout.JAVA_FLOAT_UNALIGNED, offset + 4L * i, v[i]);
            }
            entries.add(new WeightSet.Entry(s.name(), s.type(), s.ne(), offset, s.matmulWeight()));
            offset += s.bytes();
        }
        return WeightSet.map(backend, region, entries, false);
    }

    /** A PyTorch shape in ggml order (reversed). */
    public static long[] ggmlOrder(long[] torchShape) {
        long[] ne = new long[torchShape.length];
        for (int i = 0; i < ne.length; i++) ne[i] = torchShape[ne.length - 1 - i];
        return ne;
    }

    private static long align(long n) {
        return (n + 31) / 32 * 32;
    }
}
