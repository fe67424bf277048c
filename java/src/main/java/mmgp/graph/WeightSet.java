package mmgp.graph;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import mmgp.bindings.ggml.Ggml;
import mmgp.bindings.ggml.GgmlBackend;
import mmgp.bindings.ggml.GgmlTensorStruct;
import mmgp.tensor.GgmlType;

/**
 * A model's weights as ggml tensors, used where they lie: the tensors point straight into a
 * mapped file region (a CPU buffer wrapped around that memory), so loading costs no copy and
 * no heap. Matmul weights of a type that one of the CPU's extra buffer types accelerates (AMX,
 * repacked layouts) are instead copied into that buffer type, because those kernels need
 * their own layout; each is asked first through ggml_backend_dev_supports_op so an unsupported
 * type never reaches a kernel.
 */
public final class WeightSet implements AutoCloseable {
    /** One weight: where it sits in the region and whether it feeds mul_mat as the left operand. */
    public record Entry(String name, GgmlType type, long[] ne, long offset, boolean matmulWeight) {
        public Entry {
            if (ne.length < 1 || ne.length > 4) throw new IllegalArgumentException(name + ": 1 to 4 dimensions, got " + ne.length);
        }

        long bytes() {
            long n = 1;
            for (int i = 1; i < ne.length; i++) n = Math.multiplyExact(n, ne[i]);
            return Math.multiplyExact(type.rowBytes(ne[0]), n);
        }
    }

    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final Map<String, String> placement = new LinkedHashMap<>();
    /** Weights placed in place in a read-only file mapping: the only ones whose pages may be dropped. */
    private final java.util.Set<String> fileMapped = new java.util.HashSet<>();
    private final List<MemorySegment> contexts = new ArrayList<>();
    private final List<MemorySegment> buffers = new ArrayList<>();
    private final Arena arena = Arena.ofShared();

    /** In recording mode, shape-checked lookups create the weights they ask for (see {@link #recorder()}). */
    private MemorySegment recordingContext;

    private WeightSet() {}

    /**
     * An empty set that answers every shape-checked {@link #get(String, long...)} by creating
     * that weight (F32, no data) and remembering it: constructing a model on it lists exactly
     * the weights, with shapes, that the model reads — what a random-weight file of the real
     * shapes must hold.
     */
    public static WeightSet recorder() {
        WeightSet set = new WeightSet();
        set.recordingContext = Ggml.init(65536 * Ggml.tensorOverhead(), true);
        set.contexts.add(set.recordingContext);
        return set;
    }

    /**
     * Whether the models (aMUSEd, LTX-Video) move their matmul weights into the CPU's extra buffer
     * types: only when asked for, with {@code -Dmmgp.extraBuffers=on} or {@code MMGP_EXTRA_BUFFERS=on}.
     * Off by default since the first AMX machine it ran on (Intel Xeon, 2 threads): ggml's AMX
     * Q8_0 matmul ran the models' shapes at 430-510 GFLOP/s, no faster than mmgp's own Q8_0 GEMM
     * with AVX-512 VNNI (420-535), which FAST takes for weights in plain buffers; and with its
     * weights there, the tiny aMUSEd fixture's Q8_0 text encoder gave NaN (unexplained) where
     * ggml's plain and mmgp's routes agree with the goldens. SmolVLM2 (libllama) keeps
     * llama.cpp's own placement.
     */
    public static boolean modelsUseExtraBufferTypes() {
        String p = System.getProperty("mmgp.extraBuffers");
        String v = p != null && !p.isBlank() ? p : System.getenv("MMGP_EXTRA_BUFFERS");
        String value = v == null ? "" : v.strip().toLowerCase(java.util.Locale.ROOT);
        return switch (value) {
            case "on" -> true;
            case "", "off" -> false;
            default -> throw new IllegalArgumentException((p != null && !p.isBlank() ? "-Dmmgp.extraBuffers" : "MMGP_EXTRA_BUFFERS")
                    + "=" + v + " is not a setting: use on or off");
        };
    }

    /**
     * Wraps {@code region} (32-byte aligned, e.g. a mapped GGUF data section) and places each
     * entry in it; with {@code useExtraBufferTypes}, supported matmul weights move to the best
     * extra buffer type of the backend.
     */
    public static WeightSet map(ComputeBackend backend, MemorySegment region, List<Entry> entries, boolean useExtraBufferTypes) {
        return mapRegions(backend, List.of(new Region(region, entries)), useExtraBufferTypes);
    }

    /** A block of memory (e.g. one mapped file) and the weights that lie in it. */
    public record Region(MemorySegment memory, List<Entry> entries) {}

    /** Like {@link #map} for weights spread over several regions (sharded checkpoints, pipeline components). */
    public static WeightSet mapRegions(ComputeBackend backend, List<Region> regions, boolean useExtraBufferTypes) {
        WeightSet set = new WeightSet();
        try {
            for (Region r : regions) {
                if (r.memory().address() % 32 != 0) throw new IllegalArgumentException("weight region must be 32-byte aligned (ggml requires it)");
                set.place(backend, r.memory(), r.entries(), useExtraBufferTypes);
            }
            return set;
        } catch (RuntimeException | Error e) {
            set.close();
            throw e;
        }
    }

    /**
     * The float weights of a Hugging Face checkpoint, in place in its mapped safetensors files,
     * named {@code <component>.<tensor>} for diffusers pipelines (just {@code <tensor>} for a
     * single model). PyTorch shapes become ggml shapes as the converter writes them.
     */
    public static WeightSet fromCheckpoint(ComputeBackend backend, mmgp.convert.HfCheckpoint checkpoint, boolean useExtraBufferTypes)
            throws java.io.IOException {
        List<Region> regions = new ArrayList<>();
        for (mmgp.convert.HfCheckpoint.Component c : checkpoint.components().values()) {
            regions.addAll(regions(c.weights(), c.name().isEmpty() ? "" : c.name() + "."));
        }
        return fileMapped(mapRegions(backend, regions, useExtraBufferTypes));
    }

    /**
     * The float tensors of {@code weights} as regions of their mapped files, named
     * {@code prefix + name}, PyTorch shapes in ggml order; integer buffers are left out.
     */
    public static List<Region> regions(mmgp.safetensors.SafetensorsCheckpoint weights, String prefix) throws java.io.IOException {
        Map<mmgp.safetensors.SafetensorsFile, List<Entry>> byFile = new LinkedHashMap<>();
        for (String name : weights.names()) {
            mmgp.safetensors.SafetensorsTensorInfo info = weights.tensor(name);
            GgmlType type = switch (info.dtype()) {
                case F32 -> GgmlType.F32;
                case F16 -> GgmlType.F16;
                case BF16 -> GgmlType.BF16;
                default -> null; // integer buffers (position ids) are not weights
            };
            if (type == null) continue;
            long[] ne = mmgp.convert.ConversionPlan.ggmlShape(info.shape());
            byFile.computeIfAbsent(weights.fileOf(name), k -> new ArrayList<>())
                    .add(new Entry(prefix + name, type, ne, info.fileOffset(), ne.length == 2 && ne[1] > 1));
        }
        List<Region> regions = new ArrayList<>();
        byFile.forEach((file, entries) -> regions.add(new Region(file.mapping(), entries)));
        return regions;
    }

    /** Builds a set over read-only file mappings (their weights' pages may be dropped, see {@link #releasePages}). */
    public static WeightSet mapFiles(ComputeBackend backend, List<Region> regions, boolean useExtraBufferTypes) {
        return fileMapped(mapRegions(backend, regions, useExtraBufferTypes));
    }

    /** Marks every in-place weight of a set built over read-only file mappings as file-backed. */
    private static WeightSet fileMapped(WeightSet set) {
        set.placement.forEach((name, where) -> {
            if (where.equals("mmap")) set.fileMapped.add(name);
        });
        return set;
    }

    /**
     * The tensors of a GGUF file, in place in its mapping. Two-dimensional tensors count as
     * matmul weights (candidates for the extra buffer types).
     */
    public static WeightSet fromGguf(ComputeBackend backend, mmgp.gguf.GgufFile file, boolean useExtraBufferTypes) {
        return fileMapped(map(backend, file.dataSection(), ggufEntries(file), useExtraBufferTypes));
    }

    /**
     * The tensors of a GGUF file as entries of its data section, under their full names (names
     * longer than ggml's 63 bytes were shortened by the converter, which recorded the full ones).
     */
    public static List<Entry> ggufEntries(mmgp.gguf.GgufFile file) {
        Map<String, String> fullNames = new java.util.HashMap<>();
        if (file.metadata().contains(mmgp.convert.TensorNames.LONG_NAMES_KEY)) {
            try {
                List<String> pairs = file.getStringArray(mmgp.convert.TensorNames.LONG_NAMES_KEY);
                for (int i = 0; i + 1 < pairs.size(); i += 2) fullNames.put(pairs.get(i), pairs.get(i + 1));
            } catch (mmgp.gguf.GgufFormatException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        }
        List<Entry> entries = new ArrayList<>();
        for (mmgp.gguf.TensorInfo t : file.tensors()) {
            long[] ne = t.nDims() == 0 ? new long[] {1} : t.shape();
            entries.add(new Entry(fullNames.getOrDefault(t.name(), t.name()), t.type(), ne, t.dataOffset(), t.nDims() == 2 && t.ne(1) > 1));
        }
        return entries;
    }

    private void place(ComputeBackend backend, MemorySegment region, List<Entry> entries, boolean useExtra) {
        for (Entry e : entries) {
            if (e.offset() < 0 || e.offset() + e.bytes() > region.byteSize()) {
                throw new IllegalArgumentException("weight " + e.name() + " [" + e.offset() + ", " + (e.offset() + e.bytes())
                        + ") lies outside its region of " + region.byteSize() + " bytes");
            }
        }
        long meta = (entries.size() + 4) * Ggml.tensorOverhead();
        MemorySegment mappedCtx = Ggml.init(meta, true);
        contexts.add(mappedCtx);
        MemorySegment mappedBuffer = GgmlBackend.cpuBufferFromPtr(region, region.byteSize());
        buffers.add(mappedBuffer);
        GgmlBackend.bufferSetUsage(mappedBuffer, GgmlBackend.BUFFER_USAGE_WEIGHTS);

        Map<ComputeBackend.BufferType, List<Entry>> moved = new LinkedHashMap<>();
        for (Entry e : entries) {
            ComputeBackend.BufferType extra = useExtra && e.matmulWeight() ? bestExtraType(backend, e) : null;
            if (extra != null) {
                moved.computeIfAbsent(extra, k -> new ArrayList<>()).add(e);
                continue;
            }
            MemorySegment t = newTensor(mappedCtx, e);
            int status = GgmlBackend.tensorAlloc(mappedBuffer, t, region.asSlice(e.offset(), e.bytes()));
            if (status != GgmlBackend.STATUS_SUCCESS) throw new IllegalStateException("cannot place weight " + e.name() + " (status " + status + ")");
            tensors.put(e.name(), new Tensor(t));
            placement.put(e.name(), "mmap");
        }
        for (var group : moved.entrySet()) {
            MemorySegment ctx = Ggml.init((group.getValue().size() + 4) * Ggml.tensorOverhead(), true);
            contexts.add(ctx);
            List<MemorySegment> made = new ArrayList<>();
            for (Entry e : group.getValue()) made.add(newTensor(ctx, e));
            MemorySegment buffer = GgmlBackend.allocCtxTensorsFromBuft(ctx, group.getKey().handle());
            if (buffer.equals(MemorySegment.NULL)) throw new OutOfMemoryError("cannot allocate a " + group.getKey().name() + " weight buffer");
            buffers.add(buffer);
            GgmlBackend.bufferSetUsage(buffer, GgmlBackend.BUFFER_USAGE_WEIGHTS);
            for (int i = 0; i < made.size(); i++) {
                Entry e = group.getValue().get(i);
                // The extra types re-lay the data out on upload, so it has to go through tensor_set.
                GgmlBackend.tensorSet(made.get(i), region.asSlice(e.offset(), e.bytes()), 0, e.bytes());
                tensors.put(e.name(), new Tensor(made.get(i)));
                placement.put(e.name(), group.getKey().name());
            }
        }
    }

    private MemorySegment newTensor(MemorySegment ctx, Entry e) {
        MemorySegment t = Ggml.newTensor(ctx, e.type().id(), e.ne());
        // ggml names hold 63 bytes; longer names are kept in our map, truncated in ggml.
        String name = e.name().length() > 63 ? e.name().substring(0, 63) : e.name();
        Ggml.setName(t, arena.allocateFrom(name));
        return t;
    }

    /**
     * The first extra buffer type whose device accepts mul_mat(weight, activations) with the
     * weight stored in it, mirroring how llama.cpp probes buffer types before using them.
     */
    private ComputeBackend.BufferType bestExtraType(ComputeBackend backend, Entry e) {
        if (e.ne().length != 2 || e.ne()[1] < 2) return null;
        for (ComputeBackend.BufferType buft : backend.extraBufferTypes()) {
            MemorySegment ctx = Ggml.init(8 * Ggml.tensorOverhead(), true);
            MemorySegment probeBuffer = GgmlBackend.buftAllocBuffer(buft.handle(), 0);
            try {
                MemorySegment w = Ggml.newTensor2d(ctx, e.type().id(), e.ne()[0], e.ne()[1]);
                MemorySegment x = Ggml.newTensor2d(ctx, GgmlType.F32.id(), e.ne()[0], 8);
                MemorySegment op = Ggml.binary(Ggml.Binary.MUL_MAT, ctx, w, x);
                w.reinterpret(GgmlTensorStruct.SIZE).set(java.lang.foreign.ValueLayout.ADDRESS, GgmlTensorStruct.BUFFER, probeBuffer);
                if (GgmlBackend.devSupportsBuft(backend.device(), buft.handle()) && backend.supports(op)) return buft;
            } finally {
                if (!probeBuffer.equals(MemorySegment.NULL)) GgmlBackend.bufferFree(probeBuffer);
                Ggml.free(ctx);
            }
        }
        return null;
    }

    /** The weight called {@code name}; a clear error names what is missing. */
    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("model has no weight named '" + name + "'");
        return t;
    }

    /**
     * The weight called {@code name}, checked to have ggml shape {@code ne} (trailing 1s may be
     * left out): a config that does not match its checkpoint fails here, naming the weight.
     */
    public Tensor get(String name, long... ne) {
        if (recordingContext != null && !tensors.containsKey(name)) {
            long[] dims = ne.length == 0 ? new long[] {1} : ne;
            tensors.put(name, new Tensor(newTensor(recordingContext, new Entry(name, GgmlType.F32, dims, 0, false))));
            placement.put(name, "recorded");
        }
        Tensor t = get(name);
        long[] want = java.util.Arrays.copyOf(ne, 4);
        for (int i = ne.length; i < 4; i++) want[i] = 1;
        if (!java.util.Arrays.equals(t.shape(), want)) {
            throw new IllegalArgumentException("weight '" + name + "' has ggml shape " + java.util.Arrays.toString(t.shape())
                    + ", the config implies " + java.util.Arrays.toString(want));
        }
        return t;
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    public Map<String, Tensor> all() {
        return java.util.Collections.unmodifiableMap(tensors);
    }

    /**
     * Drops the resident pages of the mapped ("mmap") weights whose names start with {@code prefix}
     * — e.g. a text encoder once the prompts are encoded — so that the process's RSS falls by
     * their size; the weights stay valid and a later use reads them back from the file (from the
     * page cache when the OS kept them there). Weights copied into extra buffer types are not
     * touched, nor are weights placed over memory that is not a read-only file mapping (see
     * {@link #map}): dropping those pages would zero them. Returns the bytes released (0 where the
     * OS offers no madvise).
     */
    public long releasePages(String prefix) {
        long page = mmgp.bindings.Libc.pageSize(), released = 0;
        for (var e : tensors.entrySet()) {
            if (!e.getKey().startsWith(prefix) || !fileMapped.contains(e.getKey())) continue;
            Tensor t = e.getValue();
            released += mmgp.bindings.Libc.dropPages(t.data().address(), t.bytes(), page);
        }
        return released;
    }

    /** Where each weight lives: "mmap" (zero-copy) or the extra buffer type's name. */
    public Map<String, String> placement() {
        return java.util.Collections.unmodifiableMap(placement);
    }

    @Override
    public void close() {
        for (MemorySegment b : buffers) GgmlBackend.bufferFree(b);
        buffers.clear();
        for (MemorySegment c : contexts) Ggml.free(c);
        contexts.clear();
        arena.close();
    }
}
