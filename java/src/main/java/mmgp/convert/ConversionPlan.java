package mmgp.convert;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import mmgp.gguf.GgufWriter;
import mmgp.safetensors.SafetensorsCheckpoint;
import mmgp.safetensors.SafetensorsTensorInfo;
import mmgp.tensor.GgmlType;
import mmgp.tensor.HalfPrecision;

/**
 * What a conversion will write: metadata plus, per output tensor, its source tensor, its ggml
 * shape and its stored type. Writing streams one tensor at a time through off-heap memory, so
 * a checkpoint larger than the heap converts fine.
 */
public final class ConversionPlan {
    /**
     * One output tensor: from a safetensors checkpoint ({@code source}, {@code sourceName}), or
     * from raw bytes of ggml type {@code rawType} (e.g. another GGUF's tensor; {@code source} null).
     */
    public record Item(String ggufName, SafetensorsCheckpoint source, String sourceName, long[] ne, GgmlType type,
                       MemorySegment raw, GgmlType rawType) {}

    private final GgufWriter writer = new GgufWriter();
    private final List<Item> items = new ArrayList<>();
    private final List<String> longNames = new ArrayList<>();
    private final TypePolicy policy;

    public ConversionPlan(TypePolicy policy) {
        this.policy = policy;
    }

    public GgufWriter metadata() {
        return writer;
    }

    public TypePolicy policy() {
        return policy;
    }

    public List<Item> items() {
        return List.copyOf(items);
    }

    /**
     * Adds {@code sourceName} of {@code source} as {@code ggufName}, with the PyTorch shape
     * reversed into ggml order (tensors of rank above 4 fold their outer dimensions into ne3).
     */
    public Item add(String ggufName, SafetensorsCheckpoint source, String sourceName) throws IOException {
        SafetensorsTensorInfo info = source.tensor(sourceName);
        long[] ne = ggmlShape(info.shape());
        return add(ggufName, source, sourceName, ne, policy.typeFor(ggufName, ne));
    }

    public Item add(String ggufName, SafetensorsCheckpoint source, String sourceName, long[] ne, GgmlType type) throws IOException {
        SafetensorsTensorInfo info = source.tensor(sourceName);
        long elements = 1;
        for (long d : ne) elements = Math.multiplyExact(elements, d);
        if (elements != info.elementCount()) {
            throw new IllegalArgumentException(ggufName + ": ggml shape " + Arrays.toString(ne) + " has " + elements
                    + " elements, source " + sourceName + " " + Arrays.toString(info.shape()) + " has " + info.elementCount());
        }
        switch (info.dtype()) {
            case F32, F16, BF16, F64 -> { }
            default -> throw new IllegalArgumentException(sourceName + " has dtype " + info.dtype() + "; only float tensors convert");
        }
        Item item = new Item(ggufName, source, sourceName, ne.clone(), type, null, null);
        items.add(item);
        return item;
    }

    /**
     * Adds a tensor given as raw bytes of ggml type {@code rawType} and ggml shape {@code ne}
     * under {@code fullName} (shortened and recorded per {@link TensorNames} when too long). A
     * float source is re-encoded to the policy's type for {@code fullName}; a quantized one is
     * copied as it is, since re-quantizing would only lose precision.
     */
    public Item addRaw(String fullName, MemorySegment raw, GgmlType rawType, long[] ne) {
        long rows = 1;
        for (int i = 1; i < ne.length; i++) rows = Math.multiplyExact(rows, ne[i]);
        long bytes = Math.multiplyExact(rawType.rowBytes(ne[0]), rows);
        if (raw.byteSize() != bytes) {
            throw new IllegalArgumentException(fullName + ": " + rawType + " " + Arrays.toString(ne) + " needs " + bytes + " bytes, source holds " + raw.byteSize());
        }
        boolean isFloat = rawType == GgmlType.F32 || rawType == GgmlType.F16 || rawType == GgmlType.BF16;
        GgmlType type = isFloat ? policy.typeFor(fullName, ne) : rawType;
        Item item = new Item(storedName(fullName), null, fullName, ne.clone(), type, raw, rawType);
        items.add(item);
        return item;
    }

    /** The GGUF name for {@code full}: itself, or its shortened form, recorded for loaders. */
    private String storedName(String full) {
        String stored = TensorNames.shorten(full);
        if (!stored.equals(full)) {
            longNames.add(stored);
            longNames.add(full);
        }
        return stored;
    }

    /**
     * Adds every float tensor of the checkpoint under its Hugging Face name, prefixed with the
     * diffusers component ({@code transformer.…}), shortened per {@link TensorNames} where
     * needed, and stores each component's config.json as {@code mmgp.config.<component>}.
     * Integer buffers (e.g. position ids) are not weights and are left out.
     */
    public void addCheckpoint(HfCheckpoint checkpoint) throws IOException {
        for (HfCheckpoint.Component c : checkpoint.components().values()) {
            writer.putString("mmgp.config." + (c.name().isEmpty() ? "model" : c.name()), c.config().toString());
            for (String name : c.weights().names().stream().sorted().toList()) {
                switch (c.weights().tensor(name).dtype()) {
                    case F32, F16, BF16, F64 -> { }
                    default -> { continue; }
                }
                String full = c.name().isEmpty() ? name : c.name() + "." + name;
                String stored = storedName(full);
                long[] ne = ggmlShape(c.weights().tensor(name).shape());
                add(stored, c.weights(), name, ne, policy.typeFor(full, ne)); // rules see the full name
            }
        }
    }

    /** Adds {@code sourceName} of {@code source} under {@code fullName} (shortened when too long), typed by the policy for {@code fullName}. */
    public Item addNamed(String fullName, SafetensorsCheckpoint source, String sourceName) throws IOException {
        long[] ne = ggmlShape(source.tensor(sourceName).shape());
        return add(storedName(fullName), source, sourceName, ne, policy.typeFor(fullName, ne));
    }

    /** PyTorch [d0, ..., dn] (last fastest) → ggml ne (first fastest), at most 4 dims. */
    public static long[] ggmlShape(long[] torch) {
        if (torch.length == 0) return new long[] {1};
        int r = torch.length;
        int dims = Math.min(r, 4);
        long[] ne = new long[dims];
        for (int i = 0; i < dims; i++) ne[i] = torch[r - 1 - i];
        for (int i = 0; i < r - 4; i++) ne[3] = Math.multiplyExact(ne[3], torch[i]);
        return ne;
    }

    /** Writes the GGUF file; {@code progress} receives each tensor name as it is written. */
    public long write(Path out, Consumer<Item> progress) throws IOException {
        if (!longNames.isEmpty()) writer.putStringArray(TensorNames.LONG_NAMES_KEY, longNames);
        for (Item item : items) {
            long rows = 1;
            for (int i = 1; i < item.ne().length; i++) rows *= item.ne()[i];
            long rowLength = item.ne()[0];
            long finalRows = rows;
            writer.addTensor(item.ggufName(), item.type(), item.ne(), target -> {
                if (item.raw() != null && item.rawType() == item.type()) {
                    MemorySegment.copy(item.raw(), 0, target, 0, target.byteSize());
                } else {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment f32 = arena.allocate(finalRows * rowLength * 4, 64);
                        if (item.raw() != null) decode(item.raw(), item.rawType(), finalRows * rowLength, f32);
                        else readAsF32(item.source(), item.sourceName(), f32);
                        TensorEncoder.encode(item.type(), f32, finalRows, rowLength, target);
                    }
                }
                progress.accept(item);
            });
        }
        return writer.write(out);
    }

    private static void decode(MemorySegment src, GgmlType type, long n, MemorySegment dst) {
        switch (type) {
            case F32 -> MemorySegment.copy(src, 0, dst, 0, n * 4);
            case F16 -> {
                for (long i = 0; i < n; i++) dst.setAtIndex(ValueLayout.JAVA_FLOAT, i, HalfPrecision.f16ToFloat(src.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i)));
            }
            case BF16 -> {
                for (long i = 0; i < n; i++) dst.setAtIndex(ValueLayout.JAVA_FLOAT, i, HalfPrecision.bf16ToFloat(src.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i)));
            }
            default -> throw new IllegalArgumentException("cannot decode " + type + " to F32");
        }
    }

    private static void readAsF32(SafetensorsCheckpoint source, String name, MemorySegment dst) throws IOException {
        SafetensorsTensorInfo info = source.tensor(name);
        MemorySegment src = source.data(name);
        long n = info.elementCount();
        switch (info.dtype()) {
            case F32 -> decode(src, GgmlType.F32, n, dst);
            case F16 -> decode(src, GgmlType.F16, n, dst);
            case BF16 -> decode(src, GgmlType.BF16, n, dst);
            case F64 -> {
                for (long i = 0; i < n; i++) dst.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) src.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i));
            }
            default -> throw new IllegalArgumentException(name + " has dtype " + info.dtype());
        }
    }
}
