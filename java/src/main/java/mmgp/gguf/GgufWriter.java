package mmgp.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import mmgp.tensor.GgmlType;

/**
 * Builds a GGUF v3 file: metadata pairs and tensors are declared first, then {@link #write} streams the
 * header and each tensor's bytes to a channel with the alignment padding ggml expects (the data section
 * and every tensor start on a multiple of the alignment). Tensor data comes from a segment (for example
 * a slice of a mapped safetensors file) or from a {@link TensorFiller} invoked one tensor at a time, so a
 * multi-GB model is never held on the Java heap. Declarations are validated as they are made.
 */
public final class GgufWriter {

    /** Produces a tensor's bytes into {@code target}, which is exactly the tensor's byte size and zeroed. */
    @FunctionalInterface
    public interface TensorFiller {
        void fill(MemorySegment target) throws IOException;
    }

    private record PendingTensor(String name, GgmlType type, long[] shape, long byteSize,
                                 MemorySegment data, TensorFiller filler) {
    }

    private static final int VERSION = 3;
    /** Large enough to keep system calls rare, small enough to stage heap-backed data cheaply. */
    private static final int CHUNK_BYTES = 16 << 20;

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final Map<String, PendingTensor> tensors = new LinkedHashMap<>();
    private int alignment = GgufParser.DEFAULT_ALIGNMENT;

    public GgufWriter() {
    }

    /** Sets the data alignment (a power of two) and records it as {@code general.alignment}. */
    public GgufWriter alignment(int alignment) {
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0 || alignment > (1 << 30)) {
            throw new IllegalArgumentException("alignment must be a power of two in [1, 2^30], got " + alignment);
        }
        this.alignment = alignment;
        metadata.put(GgufParser.ALIGNMENT_KEY, GgufValue.uint32(alignment));
        return this;
    }

    /** Adds a pair; keys must be non-empty and unique. {@code general.alignment} is routed to {@link #alignment}. */
    public GgufWriter put(String key, GgufValue value) {
        Objects.requireNonNull(value, "value");
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("metadata key must be non-empty");
        }
        if (key.equals(GgufParser.ALIGNMENT_KEY)) {
            if (value.type() != GgufValueType.UINT32 || (Long) value.value() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(key + " must be a UINT32 power of two, got " + value);
            }
            return alignment((int) (long) (Long) value.value());
        }
        if (metadata.containsKey(key)) {
            throw new IllegalArgumentException("metadata key '" + key + "' is already set to " + metadata.get(key));
        }
        checkArrayNesting(value, key);
        metadata.put(key, value);
        return this;
    }

    /** Whether a pair named {@code key} was added. */
    public boolean contains(String key) {
        return metadata.containsKey(key);
    }

    /** Copies every pair of {@code source}, e.g. to rewrite a file with other tensors. */
    public GgufWriter putAll(GgufMetadata source) {
        source.asMap().forEach(this::put);
        return this;
    }

    public GgufWriter putUInt8(String key, int value) {
        return put(key, GgufValue.uint8(value));
    }

    public GgufWriter putInt8(String key, int value) {
        return put(key, GgufValue.int8(value));
    }

    public GgufWriter putUInt16(String key, int value) {
        return put(key, GgufValue.uint16(value));
    }

    public GgufWriter putInt16(String key, int value) {
        return put(key, GgufValue.int16(value));
    }

    public GgufWriter putUInt32(String key, long value) {
        return put(key, GgufValue.uint32(value));
    }

    public GgufWriter putInt32(String key, int value) {
        return put(key, GgufValue.int32(value));
    }

    public GgufWriter putUInt64(String key, long bits) {
        return put(key, GgufValue.uint64(bits));
    }

    public GgufWriter putInt64(String key, long value) {
        return put(key, GgufValue.int64(value));
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufValue.float32(value));
    }

    public GgufWriter putFloat64(String key, double value) {
        return put(key, GgufValue.float64(value));
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, GgufValue.bool(value));
    }

    public GgufWriter putString(String key, String value) {
        return put(key, GgufValue.string(value));
    }

    public GgufWriter putArray(String key, GgufArray value) {
        return put(key, GgufValue.array(value));
    }

    public GgufWriter putStringArray(String key, List<String> values) {
        return putArray(key, GgufArray.ofStrings(values));
    }

    public GgufWriter putInt32Array(String key, int... values) {
        return putArray(key, GgufArray.ofInt32(values));
    }

    public GgufWriter putFloat32Array(String key, float... values) {
        return putArray(key, GgufArray.ofFloat32(values));
    }

    /**
     * Adds a tensor whose bytes are {@code data}, which must be exactly the tensor's byte size. The
     * segment is read during {@link #write}, so it must still be alive then.
     *
     * @param shape dimensions in ggml order ne0..ne3 (0 to 4 of them)
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, MemorySegment data) {
        long byteSize = validateTensor(name, type, shape);
        if (data.byteSize() != byteSize) {
            throw new IllegalArgumentException("tensor '" + name + "' (" + type + " " + Arrays.toString(shape)
                    + ") needs " + byteSize + " bytes, but the data segment has " + data.byteSize());
        }
        tensors.put(name, new PendingTensor(name, type, shape.clone(), byteSize, data, null));
        return this;
    }

    /** Adds a tensor whose bytes {@code filler} produces during {@link #write}, into off-heap memory. */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, TensorFiller filler) {
        Objects.requireNonNull(filler, "filler");
        long byteSize = validateTensor(name, type, shape);
        tensors.put(name, new PendingTensor(name, type, shape.clone(), byteSize, null, filler));
        return this;
    }

    private long validateTensor(String name, GgmlType type, long[] shape) {
        Objects.requireNonNull(type, "type");
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("tensor name must be non-empty");
        }
        int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes > GgufParser.MAX_TENSOR_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + name + "' is " + nameBytes
                    + " UTF-8 bytes; ggml allows at most " + GgufParser.MAX_TENSOR_NAME_BYTES);
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        }
        if (shape.length > TensorInfo.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + shape.length
                    + " dimensions; GGUF allows at most " + TensorInfo.MAX_DIMS);
        }
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "' has a negative dimension: " + Arrays.toString(shape));
            }
        }
        long ne0 = shape.length > 0 ? shape[0] : 1;
        try {
            long elements = 1;
            for (long d : shape) {
                elements = Math.multiplyExact(elements, d);
            }
            long rowBytes = type.rowBytes(ne0);
            return elements == 0 ? 0 : Math.multiplyExact(rowBytes, elements / ne0);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "': size of " + type + " " + Arrays.toString(shape)
                    + " overflows a signed 64-bit integer", e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tensor '" + name + "': " + e.getMessage(), e);
        }
    }

    private static void checkArrayNesting(GgufValue value, String key) {
        if (value.value() instanceof GgufArray array && depth(array) > GgufParser.MAX_ARRAY_NESTING) {
            throw new IllegalArgumentException("metadata '" + key + "' nests arrays more than "
                    + GgufParser.MAX_ARRAY_NESTING + " levels deep; readers would reject it");
        }
    }

    private static int depth(GgufArray array) {
        int deepest = 0;
        if (array.elementType() == GgufValueType.ARRAY) {
            for (GgufArray inner : array.arrays()) {
                deepest = Math.max(deepest, depth(inner));
            }
        }
        return 1 + deepest;
    }

    /**
     * Writes the file through a temporary sibling that is renamed into place, so an interrupted write
     * never leaves a truncated file under the final name.
     *
     * @return the file size in bytes
     */
    public long write(Path path) throws IOException {
        Path absolute = path.toAbsolutePath();
        Path temporary = Files.createTempFile(absolute.getParent(), absolute.getFileName().toString(), ".partial");
        try {
            long written;
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                written = writeTo(channel);
            }
            mmgp.io.FileModes.applyUmask(temporary); // temporary files are owner-only
            try {
                Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
            return written;
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * Streams the file to {@code channel} from its current position; offsets and padding are relative to
     * that position.
     *
     * @return the number of bytes written
     */
    public long writeTo(WritableByteChannel channel) throws IOException {
        ByteBuffer header = encodeHeader();
        long written = header.remaining();
        writeFully(channel, header);
        written += writePadding(channel, written);
        for (PendingTensor tensor : tensors.values()) {
            if (tensor.data != null) {
                writeSegment(channel, tensor.data);
            } else {
                try (Arena scratch = Arena.ofConfined()) {
                    MemorySegment target = scratch.allocate(Math.max(tensor.byteSize, 1), 64)
                            .asSlice(0, tensor.byteSize);
                    tensor.filler.fill(target);
                    writeSegment(channel, target);
                }
            }
            written += tensor.byteSize;
            written += writePadding(channel, written);
        }
        return written;
    }

    private ByteBuffer encodeHeader() {
        HeaderBuffer out = new HeaderBuffer();
        out.putInt(0x4655_4747); // "GGUF"
        out.putInt(VERSION);
        out.putLong(tensors.size());
        out.putLong(metadata.size());
        for (Map.Entry<String, GgufValue> pair : metadata.entrySet()) {
            out.putString(pair.getKey());
            out.putInt(pair.getValue().type().id());
            putValue(out, pair.getValue());
        }
        long offset = 0;
        for (PendingTensor tensor : tensors.values()) {
            out.putString(tensor.name);
            out.putInt(tensor.shape.length);
            for (long d : tensor.shape) {
                out.putLong(d);
            }
            out.putInt(tensor.type.id());
            out.putLong(offset);
            offset = GgufParser.alignUp(offset + tensor.byteSize, alignment);
        }
        return out.finish();
    }

    private static void putValue(HeaderBuffer out, GgufValue value) {
        Object v = value.value();
        switch (value.type()) {
            case UINT8, INT8 -> out.putByte((byte) (long) (Long) v);
            case UINT16, INT16 -> out.putShort((short) (long) (Long) v);
            case UINT32, INT32 -> out.putInt((int) (long) (Long) v);
            case UINT64, INT64 -> out.putLong((Long) v);
            case FLOAT32 -> out.putFloat((Float) v);
            case FLOAT64 -> out.putDouble((Double) v);
            case BOOL -> out.putByte((byte) ((Boolean) v ? 1 : 0));
            case STRING -> out.putString((String) v);
            case ARRAY -> putArray(out, (GgufArray) v);
        }
    }

    private static void putArray(HeaderBuffer out, GgufArray array) {
        out.putInt(array.elementType().id());
        out.putLong(array.size());
        Object elements = array.elements();
        switch (array.elementType()) {
            case UINT8, INT8 -> out.put((byte[]) elements);
            case UINT16, INT16 -> { for (short s : (short[]) elements) out.putShort(s); }
            case UINT32, INT32 -> { for (int i : (int[]) elements) out.putInt(i); }
            case UINT64, INT64 -> { for (long l : (long[]) elements) out.putLong(l); }
            case FLOAT32 -> { for (float f : (float[]) elements) out.putFloat(f); }
            case FLOAT64 -> { for (double d : (double[]) elements) out.putDouble(d); }
            case BOOL -> { for (boolean b : (boolean[]) elements) out.putByte((byte) (b ? 1 : 0)); }
            case STRING -> { for (String s : array.strings()) out.putString(s); }
            case ARRAY -> { for (GgufArray inner : array.arrays()) putArray(out, inner); }
        }
    }

    private long writePadding(WritableByteChannel channel, long position) throws IOException {
        int padding = (int) (GgufParser.alignUp(position, alignment) - position);
        if (padding > 0) {
            writeFully(channel, ByteBuffer.allocate(padding));
        }
        return padding;
    }

    private static void writeSegment(WritableByteChannel channel, MemorySegment data) throws IOException {
        boolean bufferable = data.isNative() || data.heapBase().orElse(null) instanceof byte[];
        for (long offset = 0; offset < data.byteSize(); offset += CHUNK_BYTES) {
            MemorySegment chunk = data.asSlice(offset, Math.min(CHUNK_BYTES, data.byteSize() - offset));
            // native and byte[] segments are viewed in place; other heap arrays must be staged as bytes
            writeFully(channel, bufferable ? chunk.asByteBuffer() : ByteBuffer.wrap(chunk.toArray(ValueLayout.JAVA_BYTE)));
        }
    }

    private static void writeFully(WritableByteChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** A growable little-endian byte buffer for the header, which is small next to the tensor data. */
    private static final class HeaderBuffer {
        private ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        private void ensure(int more) {
            if (buffer.remaining() >= more) {
                return;
            }
            long needed = (long) buffer.position() + more;
            if (needed > Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("GGUF header would exceed 2 GiB");
            }
            long grown = Math.max(needed, Math.min(Integer.MAX_VALUE - 8L, 2L * buffer.capacity()));
            ByteBuffer larger = ByteBuffer.allocate((int) grown).order(ByteOrder.LITTLE_ENDIAN);
            buffer.flip();
            larger.put(buffer);
            buffer = larger;
        }

        void putByte(byte v) { ensure(1); buffer.put(v); }
        void putShort(short v) { ensure(2); buffer.putShort(v); }
        void putInt(int v) { ensure(4); buffer.putInt(v); }
        void putLong(long v) { ensure(8); buffer.putLong(v); }
        void putFloat(float v) { ensure(4); buffer.putFloat(v); }
        void putDouble(double v) { ensure(8); buffer.putDouble(v); }
        void put(byte[] v) { ensure(v.length); buffer.put(v); }

        void putString(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            putLong(utf8.length);
            put(utf8);
        }

        ByteBuffer finish() {
            return buffer.flip();
        }
    }
}
