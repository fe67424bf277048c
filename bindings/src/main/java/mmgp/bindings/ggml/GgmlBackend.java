package mmgp.bindings.ggml;

import static mmgp.bindings.CTypes.*;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import mmgp.bindings.Downcalls;
import mmgp.bindings.NativeLibrary;

/**
 * Downcalls into ggml-backend (ggml-backend.h, ggml-alloc.h, ggml-cpu.h): device registry,
 * backends, buffers and buffer types, tensor upload/download, graph allocation and compute,
 * and the scheduler.
 */
public final class GgmlBackend {
    /** enum ggml_backend_dev_type */
    public static final int DEV_TYPE_CPU = 0, DEV_TYPE_GPU = 1, DEV_TYPE_IGPU = 2, DEV_TYPE_ACCEL = 3;
    /** enum ggml_backend_buffer_usage */
    public static final int BUFFER_USAGE_ANY = 0, BUFFER_USAGE_WEIGHTS = 1, BUFFER_USAGE_COMPUTE = 2;
    /** enum ggml_status */
    public static final int STATUS_SUCCESS = 0;

    private GgmlBackend() {}

    private static final MethodHandle GGML_BACKEND_LOAD_ALL_FROM_PATH = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_load_all_from_path", null, PTR);
    public static void loadAllFromPath(MemorySegment dirPath) {
        try { GGML_BACKEND_LOAD_ALL_FROM_PATH.invokeExact(dirPath); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_REG_COUNT = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_reg_count", SIZE_T);
    public static long regCount() {
        try { return (long) GGML_BACKEND_REG_COUNT.invokeExact(); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_REG_GET = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_reg_get", PTR, SIZE_T);
    public static MemorySegment regGet(long index) {
        try { return (MemorySegment) GGML_BACKEND_REG_GET.invokeExact(index); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_REG_NAME = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_reg_name", PTR, PTR);
    public static MemorySegment regName(MemorySegment reg) {
        try { return (MemorySegment) GGML_BACKEND_REG_NAME.invokeExact(reg); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_REG_BY_NAME = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_reg_by_name", PTR, PTR);
    public static MemorySegment regByName(MemorySegment name) {
        try { return (MemorySegment) GGML_BACKEND_REG_BY_NAME.invokeExact(name); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_REG_GET_PROC_ADDRESS = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_reg_get_proc_address", PTR, PTR, PTR);
    public static MemorySegment regGetProcAddress(MemorySegment reg, MemorySegment name) {
        try { return (MemorySegment) GGML_BACKEND_REG_GET_PROC_ADDRESS.invokeExact(reg, name); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_DEV_COUNT = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_dev_count", SIZE_T);
    public static long devCount() {
        try { return (long) GGML_BACKEND_DEV_COUNT.invokeExact(); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_DEV_GET = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_dev_get", PTR, SIZE_T);
    public static MemorySegment devGet(long index) {
        try { return (MemorySegment) GGML_BACKEND_DEV_GET.invokeExact(index); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_DEV_NAME = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_dev_name", PTR, PTR);
    public static MemorySegment devName(MemorySegment device) {
        try { return (MemorySegment) GGML_BACKEND_DEV_NAME.invokeExact(device); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_DEV_DESCRIPTION = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_dev_description", PTR, PTR);
    public static MemorySegment devDescription(MemorySegment device) {
        try { return (MemorySegment) GGML_BACKEND_DEV_DESCRIPTION.invokeExact(device); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_DEV_TYPE = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_dev_type", INT, PTR);
    public static int devType(MemorySegment device) {
        try { return (int) GGML_BACKEND_DEV_TYPE.invokeExact(device); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_DEV_BY_TYPE = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_dev_by_type", PTR, INT);
    public static MemorySegment devByType(int type) {
        try { return (MemorySegment) GGML_BACKEND_DEV_BY_TYPE.invokeExact(type); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_DEV_INIT = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_dev_init", PTR, PTR, PTR);
    public static MemorySegment devInit(MemorySegment device, MemorySegment params) {
        try { return (MemorySegment) GGML_BACKEND_DEV_INIT.invokeExact(device, params); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_DEV_SUPPORTS_OP = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_dev_supports_op", BOOL, PTR, PTR);
    public static boolean devSupportsOp(MemorySegment device, MemorySegment op) {
        try { return (boolean) GGML_BACKEND_DEV_SUPPORTS_OP.invokeExact(device, op); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_DEV_SUPPORTS_BUFT = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_dev_supports_buft", BOOL, PTR, PTR);
    public static boolean devSupportsBuft(MemorySegment device, MemorySegment buft) {
        try { return (boolean) GGML_BACKEND_DEV_SUPPORTS_BUFT.invokeExact(device, buft); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_DEV_BUFFER_TYPE = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_dev_buffer_type", PTR, PTR);
    public static MemorySegment devBufferType(MemorySegment device) {
        try { return (MemorySegment) GGML_BACKEND_DEV_BUFFER_TYPE.invokeExact(device); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_DEV_BACKEND_REG = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_dev_backend_reg", PTR, PTR);
    public static MemorySegment devBackendReg(MemorySegment device) {
        try { return (MemorySegment) GGML_BACKEND_DEV_BACKEND_REG.invokeExact(device); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_INIT_BY_TYPE = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_init_by_type", PTR, INT, PTR);
    public static MemorySegment initByType(int type, MemorySegment params) {
        try { return (MemorySegment) GGML_BACKEND_INIT_BY_TYPE.invokeExact(type, params); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_FREE = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_free", null, PTR);
    public static void free(MemorySegment backend) {
        try { GGML_BACKEND_FREE.invokeExact(backend); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_NAME = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_name", PTR, PTR);
    public static MemorySegment name(MemorySegment backend) {
        try { return (MemorySegment) GGML_BACKEND_NAME.invokeExact(backend); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_GET_DEVICE = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_get_device", PTR, PTR);
    public static MemorySegment getDevice(MemorySegment backend) {
        try { return (MemorySegment) GGML_BACKEND_GET_DEVICE.invokeExact(backend); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_GRAPH_COMPUTE = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_graph_compute", INT, PTR, PTR);
    public static int graphCompute(MemorySegment backend, MemorySegment graph) {
        try { return (int) GGML_BACKEND_GRAPH_COMPUTE.invokeExact(backend, graph); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_SUPPORTS_OP = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_supports_op", BOOL, PTR, PTR);
    public static boolean supportsOp(MemorySegment backend, MemorySegment op) {
        try { return (boolean) GGML_BACKEND_SUPPORTS_OP.invokeExact(backend, op); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_SYNCHRONIZE = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_synchronize", null, PTR);
    public static void synchronize(MemorySegment backend) {
        try { GGML_BACKEND_SYNCHRONIZE.invokeExact(backend); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_ALLOC_CTX_TENSORS = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_alloc_ctx_tensors", PTR, PTR, PTR);
    public static MemorySegment allocCtxTensors(MemorySegment ctx, MemorySegment backend) {
        try { return (MemorySegment) GGML_BACKEND_ALLOC_CTX_TENSORS.invokeExact(ctx, backend); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_ALLOC_CTX_TENSORS_FROM_BUFT = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_alloc_ctx_tensors_from_buft", PTR, PTR, PTR);
    public static MemorySegment allocCtxTensorsFromBuft(MemorySegment ctx, MemorySegment buft) {
        try { return (MemorySegment) GGML_BACKEND_ALLOC_CTX_TENSORS_FROM_BUFT.invokeExact(ctx, buft); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_BUFFER_FREE = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_buffer_free", null, PTR);
    public static void bufferFree(MemorySegment buffer) {
        try { GGML_BACKEND_BUFFER_FREE.invokeExact(buffer); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_BUFFER_GET_SIZE = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_buffer_get_size", SIZE_T, PTR);
    public static long bufferGetSize(MemorySegment buffer) {
        try { return (long) GGML_BACKEND_BUFFER_GET_SIZE.invokeExact(buffer); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_BUFFER_GET_BASE = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_buffer_get_base", PTR, PTR);
    public static MemorySegment bufferGetBase(MemorySegment buffer) {
        try { return (MemorySegment) GGML_BACKEND_BUFFER_GET_BASE.invokeExact(buffer); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_BUFFER_SET_USAGE = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_buffer_set_usage", null, PTR, INT);
    public static void bufferSetUsage(MemorySegment buffer, int usage) {
        try { GGML_BACKEND_BUFFER_SET_USAGE.invokeExact(buffer, usage); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_BUFFER_NAME = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_buffer_name", PTR, PTR);
    public static MemorySegment bufferName(MemorySegment buffer) {
        try { return (MemorySegment) GGML_BACKEND_BUFFER_NAME.invokeExact(buffer); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_BUFFER_IS_HOST = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_buffer_is_host", BOOL, PTR);
    public static boolean bufferIsHost(MemorySegment buffer) {
        try { return (boolean) GGML_BACKEND_BUFFER_IS_HOST.invokeExact(buffer); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_BUFT_NAME = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_buft_name", PTR, PTR);
    public static MemorySegment buftName(MemorySegment buft) {
        try { return (MemorySegment) GGML_BACKEND_BUFT_NAME.invokeExact(buft); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_BUFT_ALLOC_BUFFER = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_buft_alloc_buffer", PTR, PTR, SIZE_T);
    public static MemorySegment buftAllocBuffer(MemorySegment buft, long size) {
        try { return (MemorySegment) GGML_BACKEND_BUFT_ALLOC_BUFFER.invokeExact(buft, size); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_BUFT_GET_ALIGNMENT = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_buft_get_alignment", SIZE_T, PTR);
    public static long buftGetAlignment(MemorySegment buft) {
        try { return (long) GGML_BACKEND_BUFT_GET_ALIGNMENT.invokeExact(buft); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_BUFT_IS_HOST = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_buft_is_host", BOOL, PTR);
    public static boolean buftIsHost(MemorySegment buft) {
        try { return (boolean) GGML_BACKEND_BUFT_IS_HOST.invokeExact(buft); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_TENSOR_SET = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_tensor_set", null, PTR, PTR, SIZE_T, SIZE_T);
    public static void tensorSet(MemorySegment tensor, MemorySegment data, long offset, long size) {
        try { GGML_BACKEND_TENSOR_SET.invokeExact(tensor, data, offset, size); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_TENSOR_GET = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_tensor_get", null, PTR, PTR, SIZE_T, SIZE_T);
    public static void tensorGet(MemorySegment tensor, MemorySegment data, long offset, long size) {
        try { GGML_BACKEND_TENSOR_GET.invokeExact(tensor, data, offset, size); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_TENSOR_ALLOC = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_tensor_alloc", INT, PTR, PTR, PTR);
    public static int tensorAlloc(MemorySegment buffer, MemorySegment tensor, MemorySegment addr) {
        try { return (int) GGML_BACKEND_TENSOR_ALLOC.invokeExact(buffer, tensor, addr); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_CPU_BUFFER_FROM_PTR = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_cpu_buffer_from_ptr", PTR, PTR, SIZE_T);
    public static MemorySegment cpuBufferFromPtr(MemorySegment ptr, long size) {
        try { return (MemorySegment) GGML_BACKEND_CPU_BUFFER_FROM_PTR.invokeExact(ptr, size); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_CPU_BUFFER_TYPE = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_cpu_buffer_type", PTR);
    public static MemorySegment cpuBufferType() {
        try { return (MemorySegment) GGML_BACKEND_CPU_BUFFER_TYPE.invokeExact(); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_SCHED_NEW = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_sched_new", PTR, PTR, PTR, INT, SIZE_T, BOOL, BOOL);
    public static MemorySegment schedNew(MemorySegment backends, MemorySegment bufts, int nBackends, long graphSize, boolean parallel, boolean opOffload) {
        try { return (MemorySegment) GGML_BACKEND_SCHED_NEW.invokeExact(backends, bufts, nBackends, graphSize, parallel, opOffload); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_SCHED_FREE = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_sched_free", null, PTR);
    public static void schedFree(MemorySegment sched) {
        try { GGML_BACKEND_SCHED_FREE.invokeExact(sched); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_SCHED_RESERVE = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_sched_reserve", BOOL, PTR, PTR);
    public static boolean schedReserve(MemorySegment sched, MemorySegment graph) {
        try { return (boolean) GGML_BACKEND_SCHED_RESERVE.invokeExact(sched, graph); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_SCHED_ALLOC_GRAPH = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_sched_alloc_graph", BOOL, PTR, PTR);
    public static boolean schedAllocGraph(MemorySegment sched, MemorySegment graph) {
        try { return (boolean) GGML_BACKEND_SCHED_ALLOC_GRAPH.invokeExact(sched, graph); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_SCHED_GRAPH_COMPUTE = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_sched_graph_compute", INT, PTR, PTR);
    public static int schedGraphCompute(MemorySegment sched, MemorySegment graph) {
        try { return (int) GGML_BACKEND_SCHED_GRAPH_COMPUTE.invokeExact(sched, graph); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_SCHED_RESET = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_sched_reset", null, PTR);
    public static void schedReset(MemorySegment sched) {
        try { GGML_BACKEND_SCHED_RESET.invokeExact(sched); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_SCHED_GET_N_SPLITS = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_sched_get_n_splits", INT, PTR);
    public static int schedGetNSplits(MemorySegment sched) {
        try { return (int) GGML_BACKEND_SCHED_GET_N_SPLITS.invokeExact(sched); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_GALLOCR_NEW = Downcalls.bind(NativeLibrary.GGML, "ggml_gallocr_new", PTR, PTR);
    public static MemorySegment gallocrNew(MemorySegment buft) {
        try { return (MemorySegment) GGML_GALLOCR_NEW.invokeExact(buft); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_GALLOCR_FREE = Downcalls.bind(NativeLibrary.GGML, "ggml_gallocr_free", null, PTR);
    public static void gallocrFree(MemorySegment galloc) {
        try { GGML_GALLOCR_FREE.invokeExact(galloc); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_GALLOCR_RESERVE = Downcalls.bind(NativeLibrary.GGML, "ggml_gallocr_reserve", BOOL, PTR, PTR);
    public static boolean gallocrReserve(MemorySegment galloc, MemorySegment graph) {
        try { return (boolean) GGML_GALLOCR_RESERVE.invokeExact(galloc, graph); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_GALLOCR_RESERVE_N_SIZE = Downcalls.bind(NativeLibrary.GGML, "ggml_gallocr_reserve_n_size", null, PTR, PTR, PTR, PTR, PTR);
    /** Plans the graph and writes the size of each of the allocator's buffers (size_t[n_buffers]) to {@code sizes}, allocating nothing. */
    public static void gallocrReserveNSize(MemorySegment galloc, MemorySegment graph, MemorySegment nodeBufferIds, MemorySegment leafBufferIds, MemorySegment sizes) {
        try { GGML_GALLOCR_RESERVE_N_SIZE.invokeExact(galloc, graph, nodeBufferIds, leafBufferIds, sizes); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_GALLOCR_ALLOC_GRAPH = Downcalls.bind(NativeLibrary.GGML, "ggml_gallocr_alloc_graph", BOOL, PTR, PTR);
    public static boolean gallocrAllocGraph(MemorySegment galloc, MemorySegment graph) {
        try { return (boolean) GGML_GALLOCR_ALLOC_GRAPH.invokeExact(galloc, graph); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_GALLOCR_GET_BUFFER_SIZE = Downcalls.bind(NativeLibrary.GGML, "ggml_gallocr_get_buffer_size", SIZE_T, PTR, INT);
    public static long gallocrGetBufferSize(MemorySegment galloc, int bufferId) {
        try { return (long) GGML_GALLOCR_GET_BUFFER_SIZE.invokeExact(galloc, bufferId); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    // ggml-cpu.h

    private static final MethodHandle GGML_BACKEND_CPU_INIT = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_cpu_init", PTR);
    public static MemorySegment cpuInit() {
        try { return (MemorySegment) GGML_BACKEND_CPU_INIT.invokeExact(); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_CPU_SET_N_THREADS = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_cpu_set_n_threads", null, PTR, INT);
    public static void cpuSetNThreads(MemorySegment backend, int nThreads) {
        try { GGML_BACKEND_CPU_SET_N_THREADS.invokeExact(backend, nThreads); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_CPU_REG = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_cpu_reg", PTR);
    public static MemorySegment cpuReg() {
        try { return (MemorySegment) GGML_BACKEND_CPU_REG.invokeExact(); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BACKEND_IS_CPU = Downcalls.bind(NativeLibrary.GGML, "ggml_backend_is_cpu", BOOL, PTR);
    public static boolean isCpu(MemorySegment backend) {
        try { return (boolean) GGML_BACKEND_IS_CPU.invokeExact(backend); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }
}
