package mmgp.convert;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import mmgp.tensor.GgmlType;

/**
 * Chooses each tensor's stored type. The defaults follow llama.cpp's converter: vectors
 * (norm scales, biases) and tiny tensors stay F32 because they are cheap and precision-
 * sensitive; matrices take the requested type when their rows split into whole blocks, else
 * fall back to F16 (or F32 when F32 was asked). Model converters add rules by tensor name.
 */
public final class TypePolicy {
    private record Rule(Pattern name, GgmlType type) {}

    private final GgmlType requested;
    private final List<Rule> rules = new ArrayList<>();
    private long minQuantizedElements = 1024;

    public TypePolicy(GgmlType requested) {
        if (!TensorEncoder.supports(requested)) throw new IllegalArgumentException("cannot write " + requested + " tensors");
        this.requested = requested;
    }

    public GgmlType requested() {
        return requested;
    }

    /** Tensors whose GGUF name matches {@code regex} get {@code type} (first matching rule wins). */
    public TypePolicy rule(String regex, GgmlType type) {
        rules.add(new Rule(Pattern.compile(regex), type));
        return this;
    }

    public TypePolicy minQuantizedElements(long n) {
        this.minQuantizedElements = n;
        return this;
    }

    /** The type for tensor {@code name} with ggml dimensions {@code ne}. */
    public GgmlType typeFor(String name, long[] ne) {
        for (Rule r : rules) {
            if (r.name().matcher(name).matches()) return fit(r.type(), ne);
        }
        long elements = 1;
        for (long d : ne) elements *= d;
        if (ne.length < 2 || elements < minQuantizedElements) return GgmlType.F32;
        return fit(requested, ne);
    }

    private static GgmlType fit(GgmlType type, long[] ne) {
        if (ne.length == 0 || ne[0] % type.blockSize() == 0) return type;
        return type == GgmlType.F32 ? GgmlType.F32 : GgmlType.F16;
    }
}
