package mmgp.tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A weight file mapped into memory, with its tensors indexed by name: what {@link mmgp.gguf.GgufFile} and
 * {@link mmgp.safetensors.SafetensorsFile} share. Tensor data is never copied: {@link #data} returns a slice
 * of the mapping. Closing the file unmaps it, after which every slice handed out throws
 * IllegalStateException on access instead of touching freed memory.
 *
 * @param <T> the format's tensor description
 */
public abstract class MappedTensorFile<T extends MappedTensor> implements AutoCloseable {

    /** Reads a format's header from mapped bytes and builds the file object that owns {@code arena}. */
    @FunctionalInterface
    protected interface Reader<F> {
        F read(MemorySegment bytes, Arena arena) throws IOException;
    }

    private final MemorySegment bytes;
    private final Arena arena; // null when the caller owns the memory
    private final List<T> tensors;
    private final Map<String, T> tensorsByName;

    protected MappedTensorFile(MemorySegment bytes, Arena arena, List<T> tensors) {
        this.bytes = bytes;
        this.arena = arena;
        this.tensors = tensors;
        LinkedHashMap<String, T> byName = new LinkedHashMap<>();
        for (T t : tensors) {
            byName.put(t.name(), t);
        }
        this.tensorsByName = Collections.unmodifiableMap(byName);
    }

    /**
     * Maps {@code path} read-only and hands the bytes to {@code reader}; the mapping is released if reading
     * fails. {@code format} names the format in the error for a folder.
     */
    protected static <F> F map(Path path, String format, Reader<F> reader) throws IOException {
        // Mapping a folder fails with the OS's bare "No such device", which names neither the path nor the problem.
        if (Files.isDirectory(path)) throw new IOException(path + " is a folder, not a " + format + " file");
        Arena arena = Arena.ofShared(); // shared: tensor slices are read by the engine's worker threads
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return reader.read(mapped, arena);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** The whole mapped file. */
    protected final MemorySegment bytes() {
        return bytes;
    }

    /** Tensor descriptions in file order. */
    public List<T> tensors() {
        return tensors;
    }

    /** Tensor names in file order. */
    public Set<String> names() {
        return tensorsByName.keySet();
    }

    public Optional<T> findTensor(String name) {
        return Optional.ofNullable(tensorsByName.get(name));
    }

    /** The message for a tensor the caller asked for that the file does not hold. */
    protected final String missingTensor(String name) {
        return "tensor '" + name + "' is not in the file (it has " + tensorsByName.size() + " tensors)";
    }

    /** The tensor's bytes as a zero-copy, read-only slice of the mapping. */
    public MemorySegment data(T tensor) {
        if (!tensor.equals(tensorsByName.get(tensor.name()))) {
            throw new IllegalArgumentException("tensor info " + tensor + " does not belong to this file");
        }
        return bytes.asSlice(tensor.fileOffset(), tensor.byteSize());
    }

    /** Unmaps the file; idempotent. */
    @Override
    public void close() {
        if (arena != null && arena.scope().isAlive()) {
            arena.close();
        }
    }
}
