package mmgp.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import mmgp.tensor.Dequantizer;

/**
 * A GGUF file mapped into memory. The header is parsed and validated once at open; tensor data is never
 * copied: {@link #data} returns a slice of the mapping that can go straight to ggml or be read in place.
 * Closing the file unmaps it, after which every slice handed out throws IllegalStateException on access
 * instead of touching freed memory.
 */
public final class GgufFile implements AutoCloseable {

    private final MemorySegment bytes;
    private final Arena arena; // null when the caller owns the memory
    private final GgufParser.Header header;
    private final Map<String, TensorInfo> tensorsByName;

    private GgufFile(MemorySegment bytes, Arena arena, GgufParser.Header header) {
        this.bytes = bytes;
        this.arena = arena;
        this.header = header;
        LinkedHashMap<String, TensorInfo> byName = new LinkedHashMap<>();
        for (TensorInfo t : header.tensors()) {
            byName.put(t.name(), t);
        }
        this.tensorsByName = java.util.Collections.unmodifiableMap(byName);
    }

    /** Maps {@code path} read-only and parses its header. */
    public static GgufFile open(Path path) throws IOException {
        // Mapping a folder fails with the OS's bare "No such device", which names neither the path nor the problem.
        if (java.nio.file.Files.isDirectory(path)) throw new IOException(path + " is a folder, not a GGUF file");
        Arena arena = Arena.ofShared(); // shared: tensor slices are read by the engine's worker threads
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return new GgufFile(mapped, arena, GgufParser.parse(mapped));
        } catch (GgufFormatException e) {
            arena.close();
            throw new GgufFormatException(path, e);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Parses GGUF bytes that are already in memory (a heap array, a native buffer). The caller keeps
     * ownership: {@link #close} does nothing and slices live as long as {@code bytes} does.
     */
    public static GgufFile parse(MemorySegment bytes) throws GgufFormatException {
        return new GgufFile(bytes, null, GgufParser.parse(bytes));
    }

    /** The format version: 2 or 3 (they are identical for little-endian files). */
    public int version() {
        return header.version();
    }

    /** Data alignment in bytes, from {@code general.alignment} or the default 32. */
    public int alignment() {
        return header.alignment();
    }

    /** File offset of the data section, which tensor {@code dataOffset}s are relative to. */
    public long dataStart() {
        return header.dataStart();
    }

    public long fileSize() {
        return bytes.byteSize();
    }

    public GgufMetadata metadata() {
        return header.metadata();
    }

    /** Tensor infos in file order. */
    public List<TensorInfo> tensors() {
        return header.tensors();
    }

    public Optional<TensorInfo> findTensor(String name) {
        return Optional.ofNullable(tensorsByName.get(name));
    }

    public TensorInfo tensor(String name) throws GgufFormatException {
        TensorInfo info = tensorsByName.get(name);
        if (info == null) {
            throw new GgufFormatException("tensor '" + name + "' is not in the file (it has " + tensorsByName.size() + " tensors)");
        }
        return info;
    }

    /** The whole data section as one zero-copy slice: what a ggml CPU buffer wraps to use the weights in place. */
    public MemorySegment dataSection() {
        return bytes.asSlice(dataStart(), fileSize() - dataStart());
    }

    /** The tensor's bytes as a zero-copy, read-only slice of the mapping. */
    public MemorySegment data(TensorInfo tensor) {
        if (!tensor.equals(tensorsByName.get(tensor.name()))) {
            throw new IllegalArgumentException("tensor info " + tensor + " does not belong to this file");
        }
        return bytes.asSlice(tensor.fileOffset(), tensor.byteSize());
    }

    public MemorySegment data(String name) throws GgufFormatException {
        return data(tensor(name));
    }

    /** The tensor decoded to floats by the Java reference path (F32, F16, BF16, F64, Q8_0). */
    public float[] readFloats(String name) throws GgufFormatException {
        TensorInfo info = tensor(name);
        return Dequantizer.dequantize(info.type(), data(info), info.elementCount());
    }

    // Convenience pass-throughs to metadata(), the getters model loaders use most.

    public String getString(String key) throws GgufFormatException {
        return metadata().getString(key);
    }

    public int getInt(String key) throws GgufFormatException {
        return metadata().getInt(key);
    }

    public long getLong(String key) throws GgufFormatException {
        return metadata().getLong(key);
    }

    public float getFloat(String key) throws GgufFormatException {
        return metadata().getFloat(key);
    }

    public boolean getBoolean(String key) throws GgufFormatException {
        return metadata().getBoolean(key);
    }

    public GgufArray getArray(String key) throws GgufFormatException {
        return metadata().getArray(key);
    }

    public List<String> getStringArray(String key) throws GgufFormatException {
        return metadata().getStringArray(key);
    }

    /** Unmaps the file; idempotent. */
    @Override
    public void close() {
        if (arena != null && arena.scope().isAlive()) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "GGUF v" + version() + ", " + metadata().size() + " metadata keys, " + tensors().size()
                + " tensors, data at " + dataStart() + " (alignment " + alignment() + ")";
    }
}
