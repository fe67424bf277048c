package mmgp.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.Random;
import mmgp.bindings.ggml.Ggml;
import mmgp.bindings.gguf.GgufNative;

/** The tensor half of the tiny GGUF models the llama and mtmd tests write: random F32 weights. */
public final class TinyGgufTensors {
    private static final int GGML_TYPE_F32 = 0;

    /** A weight's next value; draws from {@code random} only where it needs a random value, so the draw order is the tensors'. */
    @FunctionalInterface
    public interface Init {
        float next(String name, Random random);
    }

    private TinyGgufTensors() {}

    /**
     * Adds every tensor of {@code tensors} (name → ggml shape, 1 to 4 dimensions) to {@code gguf}
     * as F32, in map order, with data from {@code init}; {@code ggml} is a no-alloc context with
     * room for their metadata, {@code arena} holds names and data until the file is written.
     */
    public static void add(MemorySegment gguf, MemorySegment ggml, Arena arena, Map<String, long[]> tensors, Random random, Init init) {
        for (var e : tensors.entrySet()) {
            String name = e.getKey();
            long[] ne = e.getValue();
            MemorySegment t = switch (ne.length) {
                case 1 -> Ggml.newTensor1d(ggml, GGML_TYPE_F32, ne[0]);
                case 2 -> Ggml.newTensor2d(ggml, GGML_TYPE_F32, ne[0], ne[1]);
                case 3 -> Ggml.newTensor3d(ggml, GGML_TYPE_F32, ne[0], ne[1], ne[2]);
                case 4 -> Ggml.newTensor4d(ggml, GGML_TYPE_F32, ne[0], ne[1], ne[2], ne[3]);
                default -> throw new IllegalArgumentException(name + ": 1 to 4 dimensions, got " + ne.length);
            };
            Ggml.setName(t, arena.allocateFrom(name));
            GgufNative.addTensor(gguf, t);
            long n = 1;
            for (long d : ne) n *= d;
            MemorySegment data = arena.allocate(ValueLayout.JAVA_FLOAT, n);
            for (long i = 0; i < n; i++) data.setAtIndex(ValueLayout.JAVA_FLOAT, i, init.next(name, random));
            GgufNative.setTensorData(gguf, name, data);
        }
    }
}
