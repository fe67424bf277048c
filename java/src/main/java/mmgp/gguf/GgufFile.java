package mmgp.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import mmgp.tensor.Dequantizer;
import mmgp.tensor.MappedTensorFile;

/**
 * A GGUF file mapped into memory. The header is parsed and validated once at open; tensor data is never
 * copied: {@link #data} returns a slice of the mapping that can go straight to ggml or be read in place.
 */
public final class GgufFile extends MappedTensorFile<TensorInfo> {

    private final GgufParser.Header header;

    private GgufFile(MemorySegment bytes, Arena arena, GgufParser.Header header) {
        super(bytes, arena, header.tensors());
        this.header = header;
    }

    /** Maps {@code path} read-only and parses its header. */
    public static GgufFile open(Path path) throws IOException {
        try {
            return map(path, "GGUF", (mapped, arena) -> new GgufFile(mapped, arena, GgufParser.parse(mapped)));
        } catch (GgufFormatException e) {
            throw new GgufFormatException(path, e);
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
        return bytes().byteSize();
    }

    public GgufMetadata metadata() {
        return header.metadata();
    }

    public TensorInfo tensor(String name) throws GgufFormatException {
        return findTensor(name).orElseThrow(() -> new GgufFormatException(missingTensor(name)));
    }

    /** The whole data section as one zero-copy slice: what a ggml CPU buffer wraps to use the weights in place. */
    public MemorySegment dataSection() {
        return bytes().asSlice(dataStart(), fileSize() - dataStart());
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

    @Override
    public String toString() {
        return "GGUF v" + version() + ", " + metadata().size() + " metadata keys, " + tensors().size()
                + " tensors, data at " + dataStart() + " (alignment " + alignment() + ")";
    }
}
