package mmgp.graph;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import mmgp.bindings.Downcalls;
import mmgp.bindings.ggml.GgmlBackend;
import mmgp.bindings.ggml.GgmlTensorStruct;

/**
 * The ggml CPU backend with an explicit thread count (ggml's default of 4 oversubscribes small
 * machines), plus the CPU device's extra weight buffer types (AMX, repacked layouts) that
 * make quantized matmuls faster where the CPU has them.
 */
public final class ComputeBackend implements AutoCloseable {
    private final MemorySegment backend;
    private final MemorySegment device;
    private final int threads;
    private final List<BufferType> extraBufferTypes;
    private final Numerics numerics;
    private boolean closed;

    /** A ggml buffer type: where and how tensor data is laid out. */
    public record BufferType(MemorySegment handle, String name) {}

    private ComputeBackend(int threads, Numerics numerics) {
        this.numerics = numerics;
        GgmlTensorStruct.verify();
        this.backend = GgmlBackend.cpuInit();
        if (backend.equals(MemorySegment.NULL)) throw new IllegalStateException("ggml_backend_cpu_init failed");
        this.threads = threads;
        GgmlBackend.cpuSetNThreads(backend, threads);
        this.device = GgmlBackend.getDevice(backend);
        this.extraBufferTypes = queryExtraBufferTypes(device);
    }

    /** A CPU backend using {@code threads} threads; 0 means one per available core. */
    public static ComputeBackend cpu(int threads) {
        return cpu(threads, Numerics.EXACT);
    }

    /** A CPU backend whose graphs take the kernel routes {@code numerics} allows. */
    public static ComputeBackend cpu(int threads, Numerics numerics) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return new ComputeBackend(n, java.util.Objects.requireNonNull(numerics, "numerics"));
    }

    /** The kernel routes graphs on this backend may take (EXACT for {@link #cpu(int)}). */
    public Numerics numerics() {
        return numerics;
    }

    public MemorySegment handle() {
        if (closed) throw new IllegalStateException("compute backend is closed");
        return backend;
    }

    public MemorySegment device() {
        return device;
    }

    public int threads() {
        return threads;
    }

    public BufferType defaultBufferType() {
        MemorySegment buft = GgmlBackend.devBufferType(device);
        return new BufferType(buft, GgmlBackend.buftName(buft).reinterpret(256).getString(0));
    }

    /** Extra buffer types of the CPU device (e.g. "AMX", "CPU_REPACK"), best first as ggml lists them. */
    public List<BufferType> extraBufferTypes() {
        return extraBufferTypes;
    }

    /** ggml_backend_dev_supports_op for a built (unallocated) op tensor. */
    public boolean supports(MemorySegment op) {
        return GgmlBackend.devSupportsOp(device, op);
    }

    public void compute(MemorySegment graph) {
        if (closed) throw new IllegalStateException("compute backend is closed");
        int status = GgmlBackend.graphCompute(backend, graph);
        if (status != GgmlBackend.STATUS_SUCCESS) throw new IllegalStateException("ggml graph compute failed with status " + status);
    }

    private static List<BufferType> queryExtraBufferTypes(MemorySegment device) {
        List<BufferType> out = new ArrayList<>();
        MemorySegment reg = GgmlBackend.devBackendReg(device);
        MemorySegment fn;
        try (Arena arena = Arena.ofConfined()) {
            fn = GgmlBackend.regGetProcAddress(reg, arena.allocateFrom("ggml_backend_dev_get_extra_bufts"));
        }
        if (fn.equals(MemorySegment.NULL)) return List.of();
        // ggml_backend_buffer_type_t * (*)(ggml_backend_dev_t): a NULL-terminated array.
        MethodHandle get = Downcalls.bindAddress(fn, ValueLayout.ADDRESS, ValueLayout.ADDRESS);
        MemorySegment list;
        try {
            list = (MemorySegment) get.invokeExact(device);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        if (list.equals(MemorySegment.NULL)) return List.of();
        MemorySegment arr = list.reinterpret(8L * 64);
        for (int i = 0; i < 64; i++) {
            MemorySegment buft = arr.getAtIndex(ValueLayout.ADDRESS, i);
            if (buft.equals(MemorySegment.NULL)) break;
            out.add(new BufferType(buft, GgmlBackend.buftName(buft).reinterpret(256).getString(0)));
        }
        return List.copyOf(out);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            GgmlBackend.free(backend);
        }
    }
}
