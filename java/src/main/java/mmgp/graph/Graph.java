package mmgp.graph;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BinaryOperator;
import mmgp.bindings.ggml.Ggml;
import mmgp.bindings.ggml.GgmlBackend;
import mmgp.bindings.kernels.MmgpKernels;
import mmgp.tensor.GgmlType;

/**
 * Builds one ggml compute graph in plain Java and runs it on a {@link ComputeBackend}.
 *
 * <p>Each op method adds a node and returns its {@link Tensor}; nothing runs until
 * {@link #compute()}. Inputs are declared with {@link #input} and filled after allocation, so
 * their memory comes from the same arena-planned buffer as the intermediates; weights come
 * from a {@link WeightSet} and stay where they are (usually a mmapped file). A graph can be
 * computed many times with new input values, which is how sampling loops reuse it.
 */
public final class Graph implements AutoCloseable {
    /** ggml rope modes (GGML_ROPE_TYPE_*). */
    public static final int ROPE_NORMAL = 0, ROPE_NEOX = 2, ROPE_MROPE = 8, ROPE_VISION = 24;
    /** ggml_scale_mode */
    public static final int SCALE_NEAREST = 0, SCALE_BILINEAR = 1;
    /** OR into a scale mode for PyTorch's align_corners=True (the default is half-pixel centres). */
    public static final int SCALE_ALIGN_CORNERS = 1 << 8;
    /** ggml_prec */
    public static final int PREC_F32 = 10;

    private final ComputeBackend backend;
    private final MemorySegment ctx;
    private final MemorySegment graph;
    private final Arena arena = Arena.ofConfined();
    // Every input is copied in before every compute: the allocator frees an input after its last
    // consumer and may reuse that memory (even in place), so values do not survive a compute.
    private final Map<MemorySegment, MemorySegment> inputValues = new LinkedHashMap<>();
    private final List<Tensor> outputs = new ArrayList<>();
    private Map<String, Tensor> traceSink; // null: tracing is off
    private MemorySegment allocator = MemorySegment.NULL;
    private boolean allocated;
    /** The most bytes one thread of a node mallocs outside the compute buffer ({@link #reserveThreadScratch}). */
    private long threadScratch;
    private boolean closed;
    private MemorySegment profileCtx, profileGraph; // a one-node graph for OpProfile
    private double flops = -1;

    public Graph(ComputeBackend backend, int maxNodes) {
        this.backend = backend;
        long meta = (long) maxNodes * 2 * Ggml.tensorOverhead() + Ggml.graphOverheadCustom(maxNodes, false);
        this.ctx = Ggml.init(meta, true);
        this.graph = Ggml.newGraphCustom(ctx, maxNodes, false);
    }

    public Graph(ComputeBackend backend) {
        this(backend, 8192);
    }

    // ---------------------------------------------------------------- inputs and outputs

    /** A new input tensor of {@code type} with ggml dimensions {@code ne} (fastest first). */
    public Tensor input(String name, GgmlType type, long... ne) {
        MemorySegment t = Ggml.newTensor(ctx, type.id(), ne);
        Ggml.setName(t, arena.allocateFrom(name));
        Ggml.setInput(t);
        return new Tensor(t);
    }

    public Tensor inputF32(String name, long... ne) {
        return input(name, GgmlType.F32, ne);
    }

    /** Sets an input's contents; the bytes are kept and copied in at every {@link #compute()}. */
    public void set(Tensor input, MemorySegment bytes) {
        long n = input.bytes();
        if (bytes.byteSize() != n) throw new IllegalArgumentException("input " + input.name() + " holds " + n + " bytes, got " + bytes.byteSize());
        inputValues.put(input.ptr(), bytes);
    }

    public void set(Tensor input, float[] values) {
        MemorySegment seg = Arena.ofAuto().allocate((long) values.length * 4, 32);
        MemorySegment.copy(values, 0, seg, ValueLayout.JAVA_FLOAT, 0, values.length);
        set(input, seg);
    }

    public void set(Tensor input, int[] values) {
        MemorySegment seg = Arena.ofAuto().allocate((long) values.length * 4, 32);
        MemorySegment.copy(values, 0, seg, ValueLayout.JAVA_INT, 0, values.length);
        set(input, seg);
    }

    /** Marks {@code t} as a result: kept alive by the allocator and computed by {@link #compute()}. */
    public Tensor output(Tensor t) {
        Ggml.setOutput(t.ptr());
        Ggml.buildForwardExpand(graph, t.ptr());
        outputs.add(t);
        return t;
    }

    public Tensor name(Tensor t, String name) {
        Ggml.setName(t.ptr(), arena.allocateFrom(name));
        return t;
    }

    // ---------------------------------------------------------------- tracing

    /** The prefix of a traced tensor's name: {@link #trace} names {@code t} "trace.{@code name}". */
    public static final String TRACE_PREFIX = "trace.";

    /**
     * Turns tracing on for the graph about to be built: every later {@link #trace} call puts its
     * tensor into {@code sink} under its name (in call order for a {@link LinkedHashMap}), so the
     * model code marks its intermediates once and a caller (a golden test, a fixture runner)
     * decides whether to collect them, as llama.cpp's graph callback does. Turn it on before
     * building: tensors built earlier are not recorded. {@code null} turns tracing off.
     */
    public Graph traceTo(Map<String, Tensor> sink) {
        this.traceSink = sink;
        return this;
    }

    /** Whether {@link #trace} records (a sink was given with {@link #traceTo}). */
    public boolean tracing() {
        return traceSink != null;
    }

    /**
     * Returns {@code t} unchanged. When tracing is on, also names it "trace.{@code name}", marks
     * it as an output (so the allocator keeps its values after {@link #compute()}, at the cost of
     * their memory) and records it in the sink under {@code name}, replacing an earlier tensor of
     * that name. When tracing is off it does nothing, so models can call it on every block.
     */
    public Tensor trace(String name, Tensor t) {
        if (traceSink == null) return t;
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("a traced tensor needs a name");
        traceSink.put(name, output(name(t, TRACE_PREFIX + name)));
        return t;
    }

    /** Allocates (first time), uploads pending inputs and runs the graph. */
    public void compute() {
        if (closed) throw new IllegalStateException("graph is closed");
        if (outputs.isEmpty()) throw new IllegalStateException("graph has no outputs");
        if (!allocated) {
            allocator = GgmlBackend.gallocrNew(backend.defaultBufferType().handle());
            if (!GgmlBackend.gallocrAllocGraph(allocator, graph)) {
                GgmlBackend.gallocrFree(allocator);
                allocator = MemorySegment.NULL;
                throw new OutOfMemoryError("ggml could not allocate the compute buffer");
            }
            allocated = true;
        }
        for (var e : inputValues.entrySet()) {
            Tensor t = new Tensor(e.getKey());
            MemorySegment.copy(e.getValue(), 0, t.data(), 0, t.bytes());
        }
        long t0 = System.nanoTime();
        if (OpProfile.enabled()) computeProfiled();
        else backend.compute(graph);
        GraphStats.record(label(), (System.nanoTime() - t0) * 1e-9, flops());
        GraphStats.recordBuffer(label(), computeBufferBytes() + threadScratchBytes());
    }

    /**
     * The graph's label in {@link GraphStats} and {@link OpProfile}: its first output's name,
     * skipping {@link #trace traced} outputs, so a traced graph reports under the same label.
     */
    public String label() {
        Tensor first = outputs.stream().filter(t -> !t.name().startsWith(TRACE_PREFIX)).findFirst().orElse(outputs.getFirst());
        String name = first.name();
        return name.isEmpty() ? "graph" : name;
    }

    /** FLOPs of one compute (matmuls and attention, 2 per multiply-add), counted once from the nodes. */
    public double flops() {
        if (flops < 0) {
            double sum = 0;
            int n = Ggml.graphNNodes(graph);
            for (int i = 0; i < n; i++) sum += OpProfile.flops(Ggml.graphNode(graph, i));
            flops = sum;
        }
        return flops;
    }

    /** Runs the nodes one at a time, each as a graph of its own, and adds their times to this graph's {@link OpProfile}. */
    private void computeProfiled() {
        if (profileGraph == null) {
            profileCtx = Ggml.init(Ggml.graphOverheadCustom(4, false) + 1024, true);
            profileGraph = Ggml.newGraphCustom(profileCtx, 4, false);
        }
        OpProfile profile = OpProfile.of(label());
        int n = Ggml.graphNNodes(graph);
        for (int i = 0; i < n; i++) {
            MemorySegment node = Ggml.graphNode(graph, i);
            switch (Ggml.opDesc(node)) {
                case "NONE", "VIEW", "RESHAPE", "PERMUTE", "TRANSPOSE" -> { continue; } // no work: ggml skips them too
                default -> { }
            }
            Ggml.graphClear(profileGraph);
            Ggml.graphAddNode(profileGraph, node);
            long t0 = System.nanoTime();
            backend.compute(profileGraph);
            profile.add(node, (System.nanoTime() - t0) * 1e-9);
        }
        profile.countCompute();
    }

    /** An output's values as floats (F32 outputs; read zero-copy, copied into the array). */
    public float[] floats(Tensor t) {
        if (t.type() != GgmlType.F32) throw new IllegalArgumentException(t + " is not F32");
        return t.data().toArray(ValueLayout.JAVA_FLOAT);
    }

    public int[] ints(Tensor t) {
        if (t.type() != GgmlType.I32) throw new IllegalArgumentException(t + " is not I32");
        return t.data().toArray(ValueLayout.JAVA_INT);
    }

    /** The tensors marked with {@link #output}, in order. */
    List<Tensor> outputs() {
        return java.util.Collections.unmodifiableList(outputs);
    }

    public int nodeCount() {
        return Ggml.graphNNodes(graph);
    }

    /** Bytes of the planned compute buffer (inputs + intermediates), after the first compute. */
    public long computeBufferBytes() {
        return allocated ? GgmlBackend.gallocrGetBufferSize(allocator, 0) : 0;
    }

    /**
     * Bytes the graph's compute will take, planned without allocating anything: the compute buffer
     * (inputs + intermediates) ggml's graph allocator plans, what {@link #computeBufferBytes()}
     * reports after the first compute, plus each thread's buffers of the node that mallocs the
     * most outside it ({@link #reserveThreadScratch}; a node frees them when it returns, so only the
     * largest counts). Lets callers size work (tiles, batches) to a memory budget.
     */
    public long plannedBufferBytes() {
        if (closed) throw new IllegalStateException("graph is closed");
        long scratch = threadScratchBytes();
        if (allocated) return computeBufferBytes() + scratch;
        if (outputs.isEmpty()) throw new IllegalStateException("graph has no outputs");
        MemorySegment galloc = GgmlBackend.gallocrNew(backend.defaultBufferType().handle());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(ValueLayout.JAVA_LONG); // one buffer type: size_t[1]
            GgmlBackend.gallocrReserveNSize(galloc, graph, MemorySegment.NULL, MemorySegment.NULL, size);
            return size.get(ValueLayout.JAVA_LONG, 0) + scratch;
        } finally {
            GgmlBackend.gallocrFree(galloc);
        }
    }

    /** What the threads of the node that mallocs the most outside the compute buffer take while it runs. */
    private long threadScratchBytes() {
        return Math.multiplyExact(threadScratch, (long) backend.threads());
    }

    /**
     * Declares that a node of this graph (a custom op) mallocs {@code bytesPerThread} in each
     * thread while it runs, outside the compute buffer: {@link #plannedBufferBytes} counts the
     * largest such node once per thread.
     */
    public void reserveThreadScratch(long bytesPerThread) {
        if (bytesPerThread < 0) throw new IllegalArgumentException("thread scratch must be ≥ 0 bytes, got " + bytesPerThread);
        threadScratch = Math.max(threadScratch, bytesPerThread);
    }

    public ComputeBackend backend() {
        return backend;
    }

    MemorySegment context() {
        return ctx;
    }

    private static Tensor t(MemorySegment p) {
        return new Tensor(p);
    }

    private Tensor unary(Ggml.Unary op, Tensor a) {
        return t(Ggml.unary(op, ctx, a.ptr()));
    }

    private Tensor binary(Ggml.Binary op, Tensor a, Tensor b) {
        return t(Ggml.binary(op, ctx, a.ptr(), b.ptr()));
    }

    private Tensor norm(Ggml.Norm op, Tensor a, float eps) {
        return t(Ggml.norm(op, ctx, a.ptr(), eps));
    }

    // ---------------------------------------------------------------- arithmetic

    /** ggml_mul_mat: a [K,M] (weights, any type) times b [K,N] (F32) gives [M,N]; i.e. b·aᵀ in row-major terms. */
    public Tensor mulMat(Tensor a, Tensor b) { return binary(Ggml.Binary.MUL_MAT, a, b); }

    /** x·Wᵀ + bias, the PyTorch nn.Linear convention (W stored [in, out] in ggml order). */
    public Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        Tensor y = mulMat(weight, x);
        return bias == null ? y : add(y, bias);
    }

    public Tensor add(Tensor a, Tensor b) { return binary(Ggml.Binary.ADD, a, b); }
    public Tensor sub(Tensor a, Tensor b) { return binary(Ggml.Binary.SUB, a, b); }
    public Tensor mul(Tensor a, Tensor b) { return binary(Ggml.Binary.MUL, a, b); }
    public Tensor div(Tensor a, Tensor b) { return binary(Ggml.Binary.DIV, a, b); }
    public Tensor scale(Tensor a, float s) {
        return t(Ggml.scale(ctx, a.ptr(), s));
    }

    /** s·a + b for a scalar b. */
    public Tensor scaleBias(Tensor a, float s, float b) {
        return t(Ggml.scaleBias(ctx, a.ptr(), s, b));
    }

    public Tensor sqr(Tensor a) { return unary(Ggml.Unary.SQR, a); }
    public Tensor sqrt(Tensor a) { return unary(Ggml.Unary.SQRT, a); }
    public Tensor exp(Tensor a) { return unary(Ggml.Unary.EXP, a); }
    public Tensor sin(Tensor a) { return unary(Ggml.Unary.SIN, a); }
    public Tensor cos(Tensor a) { return unary(Ggml.Unary.COS, a); }
    public Tensor tanh(Tensor a) { return unary(Ggml.Unary.TANH, a); }
    public Tensor clamp(Tensor a, float min, float max) {
        return t(Ggml.clamp(ctx, a.ptr(), min, max));
    }

    public Tensor sumRows(Tensor a) { return unary(Ggml.Unary.SUM_ROWS, a); }
    public Tensor mean(Tensor a) { return unary(Ggml.Unary.MEAN, a); }

    /** Broadcasts {@code a} to the shape of {@code like}. */
    public Tensor repeat(Tensor a, Tensor like) { return binary(Ggml.Binary.REPEAT, a, like); }

    // ---------------------------------------------------------------- normalisation

    /** Layer norm over ne0 without affine parameters. */
    public Tensor norm(Tensor a, float eps) {
        return norm(Ggml.Norm.NORM, a, eps);
    }

    /** Layer norm over ne0 with optional weight and bias (PyTorch nn.LayerNorm). */
    public Tensor layerNorm(Tensor a, Tensor weight, Tensor bias, float eps) {
        Tensor y = norm(a, eps);
        if (weight != null) y = mul(y, weight);
        if (bias != null) y = add(y, bias);
        return y;
    }

    public Tensor rmsNorm(Tensor a, float eps) {
        return norm(Ggml.Norm.RMS_NORM, a, eps);
    }

    /** Group norm over [W,H,C,N] with C split into {@code groups} (PyTorch nn.GroupNorm without affine). */
    public Tensor groupNorm(Tensor a, int groups, float eps) {
        return t(Ggml.groupNorm(ctx, a.ptr(), groups, eps));
    }

    // ---------------------------------------------------------------- attention

    /** softmax(scale·a + mask) over ne0; mask may be null (F16 or F32, broadcast over rows). */
    public Tensor softMax(Tensor a, Tensor mask, float scale) {
        return t(Ggml.softMaxExt(ctx, a.ptr(), mask == null ? MemorySegment.NULL : mask.ptr(), scale, 0f));
    }

    /**
     * Fused attention. q [D, Nq, H, B], k/v [D, Nk, Hkv, B]; mask F16, contiguous, [Nk, ≥Nq] or
     * null. The result is [D, H, Nq, B] (heads before queries). Requests F32 accumulation, but
     * ggml's CPU kernel keeps an fp16 running sum when V is F16 and there are fewer than 64
     * queries; pass F32 V where that matters.
     */
    public Tensor flashAttention(Tensor q, Tensor k, Tensor v, Tensor mask, float scale) {
        MemorySegment r = Ggml.flashAttnExt(ctx, q.ptr(), k.ptr(), v.ptr(), mask == null ? MemorySegment.NULL : mask.ptr(), scale, 0f, 0f);
        Ggml.precSetAcc(r, PREC_F32);
        return t(r);
    }

    /** Rotary embedding over the first {@code nDims} of ne0 with positions (I32 [ne2]). */
    public Tensor rope(Tensor a, Tensor positions, int nDims, int mode, float freqBase, float freqScale) {
        return t(Ggml.ropeExt(ctx, a.ptr(), positions.ptr(), MemorySegment.NULL, nDims, mode, 0, freqBase, freqScale, 0f, 1f, 0f, 0f));
    }

    /**
     * Multi-axis rotary embedding: positions I32 [4·ne2] (one block per axis) and
     * {@code sections} giving how many rotary pairs each axis gets.
     */
    public Tensor ropeMulti(Tensor a, Tensor positions, int nDims, int[] sections, int mode, float freqBase) {
        MemorySegment s = arena.allocate(ValueLayout.JAVA_INT, 4);
        for (int i = 0; i < 4; i++) s.setAtIndex(ValueLayout.JAVA_INT, i, i < sections.length ? sections[i] : 0);
        return t(Ggml.ropeMulti(ctx, a.ptr(), positions.ptr(), MemorySegment.NULL, nDims, s, mode, 0, freqBase, 1f, 0f, 1f, 0f, 0f));
    }

    /**
     * Rotary embedding from precomputed tables, for models whose positions are not a plain
     * index (e.g. 3-D video coordinates): x·cos + rotate_pairs(x)·sin, where rotate_pairs maps
     * interleaved pairs (x0, x1) to (−x1, x0). cos/sin broadcast against x [D, ...].
     */
    public Tensor rotaryInterleaved(Tensor x, Tensor cos, Tensor sin) {
        long d = x.ne(0);
        long rest = x.elements() / d;
        Tensor pairs = reshape(cont(x), 2, d / 2, rest);
        Tensor even = view(pairs, new long[] {1, d / 2, rest}, new long[] {pairs.nb(1), pairs.nb(2)}, 0);
        Tensor odd = view(pairs, new long[] {1, d / 2, rest}, new long[] {pairs.nb(1), pairs.nb(2)}, pairs.nb(0));
        Tensor rotated = reshape(concat(scale(cont(odd), -1f), even, 0), x.shape()); // scale needs contiguous input
        return add(mul(x, cos), mul(rotated, sin));
    }

    // ---------------------------------------------------------------- activations

    /**
     * GELU, tanh approximation (PyTorch gelu(approximate="tanh")), composed from fp32 ops:
     * ggml's fused gelu reads an fp16 table on the CPU, which misses fp32 goldens by ~1e-3.
     */
    public Tensor geluTanh(Tensor a) {
        Tensor inner = scale(add(a, scale(mul(sqr(a), a), 0.044715f)), (float) Math.sqrt(2 / Math.PI));
        return mul(scale(a, 0.5f), scaleBias(tanh(inner), 1f, 1f));
    }

    /** ggml's fused tanh-GELU (fp16 table lookup on the CPU): faster, ~1e-3 from fp32. */
    public Tensor geluTanhTable(Tensor a) { return unary(Ggml.Unary.GELU, a); }

    /** Exact GELU with erf (PyTorch's default gelu). */
    public Tensor gelu(Tensor a) { return unary(Ggml.Unary.GELU_ERF, a); }

    /** x·sigmoid(1.702x), CLIP's quick_gelu, in fp32 (ggml's fused gelu_quick reads an fp16 table). */
    public Tensor geluQuick(Tensor a) {
        return mul(a, sigmoid(scale(a, 1.702f)));
    }

    public Tensor silu(Tensor a) { return unary(Ggml.Unary.SILU, a); }
    public Tensor sigmoid(Tensor a) { return unary(Ggml.Unary.SIGMOID, a); }
    public Tensor relu(Tensor a) { return unary(Ggml.Unary.RELU, a); }

    // ---------------------------------------------------------------- convolution and resampling

    /**
     * 2-D convolution, PyTorch layout: kernel [KW, KH, IC, OC], input [W, H, IC, N] → [OW, OH, OC, N].
     * Computes through im2col in the kernel's type (F32 kernels stay F32 end to end).
     */
    public Tensor conv2d(Tensor kernel, Tensor input, int stride, int padding) {
        return conv2d(kernel, input, stride, padding, this::mulMat);
    }

    /**
     * {@link #conv2d(Tensor, Tensor, int, int)} with the patches' matmul computed by {@code matmul}
     * (ggml_mul_mat's contract: (a [K, M], b [K, N]) → [M, N]); nn.Conv2d passes its route point.
     */
    public Tensor conv2d(Tensor kernel, Tensor input, int stride, int padding, BinaryOperator<Tensor> matmul) {
        // Not ggml_conv_2d: it builds its im2col in F16 for F32 kernels, losing fp32 precision.
        GgmlType colType = kernel.type() == GgmlType.F16 ? GgmlType.F16 : GgmlType.F32;
        Tensor col = im2col(kernel, input, stride, padding, true, colType); // [IC·KH·KW, OW, OH, N]
        long k = col.ne(0), ow = col.ne(1), oh = col.ne(2), n = col.ne(3), oc = kernel.ne(3);
        Tensor cols = reshape(col, k, ow * oh * n);
        Tensor kernel2 = reshape(kernel, k, oc);
        if (kernel.type() == colType) {
            // mul_mat(a, b) is [a.ne1, b.ne1]: with the patches first the result is [OW·OH·N, OC],
            // already [OW, OH, OC] for one image, so no transposing copy of the output is needed.
            // Only when both share F16 or F32: another kernel type (quantized, BF16) cannot be the
            // second operand against F32 patches, hence the other order below.
            Tensor y = matmul.apply(cols, kernel2);
            if (n == 1) return reshape(y, ow, oh, oc, 1);
            y = cont(permute(reshape(y, ow * oh, n, oc), 0, 2, 1, 3)); // [OW·OH, N, OC] → [OW·OH, OC, N]
            return reshape(y, ow, oh, oc, n);
        }
        Tensor y = matmul.apply(kernel2, cols);                             // [OC, OW·OH·N]
        y = cont(permute(reshape(y, oc, ow * oh, n), 1, 0, 2, 3));         // [OW·OH, OC, N]
        return reshape(y, ow, oh, oc, n);
    }

    /** Transposed 2-D convolution with zero padding: kernel [KW, KH, OC, IC], input [W, H, IC, N]. */
    public Tensor convTranspose2d(Tensor kernel, Tensor input, int stride) {
        return t(Ggml.convTranspose2dP0(ctx, kernel.ptr(), input.ptr(), stride));
    }

    /**
     * ggml_im2col's result: input [W, H, IC, N] (1-D: [W, IC, N]) unfolded into patches
     * [IC·KH·KW, OW, OH, N] (1-D: [IC·KW, OW, N]) of {@code dst} type (F32 or F16); only the
     * kernel's shape is read. Computed by mmgp's own im2col (a ggml custom op, bit-identical and
     * several times faster; see {@link #usesMmgpIm2col()}) for an F32 input with contiguous rows,
     * else by ggml's op.
     */
    public Tensor im2col(Tensor kernel, Tensor input, int stride, int padding, boolean twoD, GgmlType dst) {
        if (Im2colRoute.MMGP && input.type() == GgmlType.F32 && input.nb(0) == 4 && (!twoD || input.nb(1) == 4 * input.ne(0))
                && (dst == GgmlType.F32 || dst == GgmlType.F16)) {
            return im2colMmgp(kernel, input, stride, padding, twoD, dst, 0);
        }
        return im2colGgml(kernel, input, stride, padding, twoD, dst);
    }

    /** {@link #im2col} always by ggml's own op (GGML_OP_IM2COL): the reference of mmgp's. */
    public Tensor im2colGgml(Tensor kernel, Tensor input, int stride, int padding, boolean twoD, GgmlType dst) {
        // For 1-D, the second axis' stride/padding/dilation must be 0, as ggml_conv_1d passes them.
        return t(Ggml.im2col(ctx, kernel.ptr(), input.ptr(), stride, twoD ? stride : 0, padding, twoD ? padding : 0,
                1, twoD ? 1 : 0, twoD, dst.id()));
    }

    /**
     * {@link #im2col} always by mmgp's custom op (the kernels library must be loaded), with
     * {@code MmgpKernels.IM2COL_*} flags (tests select the portable or reference path with them).
     * Checks and shapes as ggml_im2col; its params live in this graph's arena.
     */
    Tensor im2colMmgp(Tensor kernel, Tensor input, int stride, int padding, boolean twoD, GgmlType dst, int flags) {
        long kw = kernel.ne(0), kh = twoD ? kernel.ne(1) : 1;
        long ic = twoD ? input.ne(2) : input.ne(1);
        if (twoD ? kernel.ne(2) != ic : (kernel.ne(1) != ic || input.ne(3) != 1)) {
            throw new IllegalArgumentException("im2col: kernel " + kernel + " does not match input " + input);
        }
        long ow = convOutputSize(input.ne(0), kw, stride, padding);
        long oh = twoD ? convOutputSize(input.ne(1), kh, stride, padding) : 1;
        if (ow <= 0 || oh <= 0) throw new IllegalArgumentException("im2col: input " + input + " is too small for kernel " + kernel);
        long[] ne = twoD ? new long[] {ic * kh * kw, ow, oh, input.ne(3)} : new long[] {ic * kw, ow, input.ne(2), 1};
        MemorySegment params = MmgpKernels.im2colParams(arena, new int[] {stride, stride}, new int[] {padding, padding},
                new int[] {1, 1}, new int[] {(int) kw, (int) kh}, 0, flags | (twoD ? 0 : MmgpKernels.IM2COL_1D));
        return name(t(Ggml.custom4d(ctx, dst.id(), ne, MmgpKernels.im2col2dFunction(), Ggml.N_TASKS_MAX, params, input.ptr())), "mmgp_im2col");
    }

    /**
     * ggml_im2col_3d's result: input [W, H, D, IC·N] unfolded into patches
     * [IC·KD·KH·KW, OW, OH, OD·N] of {@code dst} type, strides and paddings {W, H, D}; mmgp's
     * im2col for an F32 input (as {@link #im2col}), else ggml's op.
     */
    public Tensor im2col3d(Tensor kernel, Tensor input, int inChannels, int[] stride, int[] padding, GgmlType dst) {
        if (Im2colRoute.MMGP && input.type() == GgmlType.F32 && input.nb(0) == 4 && inChannels > 0 && input.ne(3) % inChannels == 0
                && (dst == GgmlType.F32 || dst == GgmlType.F16)) {
            return im2col3dMmgp(kernel, input, inChannels, stride, padding, dst, 0);
        }
        return im2col3dGgml(kernel, input, inChannels, stride, padding, dst);
    }

    /** {@link #im2col3d} always by ggml's own op (GGML_OP_IM2COL_3D). */
    public Tensor im2col3dGgml(Tensor kernel, Tensor input, int inChannels, int[] stride, int[] padding, GgmlType dst) {
        return t(Ggml.im2col3d(ctx, kernel.ptr(), input.ptr(), inChannels, stride[0], stride[1], stride[2],
                padding[0], padding[1], padding[2], 1, 1, 1, dst.id()));
    }

    /** {@link #im2col3d} always by mmgp's custom op, with {@code MmgpKernels.IM2COL_*} flags. */
    Tensor im2col3dMmgp(Tensor kernel, Tensor input, int inChannels, int[] stride, int[] padding, GgmlType dst, int flags) {
        long kw = kernel.ne(0), kh = kernel.ne(1), kd = kernel.ne(2);
        long n = input.ne(3) / inChannels;
        long ow = convOutputSize(input.ne(0), kw, stride[0], padding[0]);
        long oh = convOutputSize(input.ne(1), kh, stride[1], padding[1]);
        long od = convOutputSize(input.ne(2), kd, stride[2], padding[2]);
        if (ow <= 0 || oh <= 0 || od <= 0) throw new IllegalArgumentException("im2col3d: input " + input + " is too small for kernel " + kernel);
        long[] ne = {kw * kh * kd * inChannels, ow, oh, od * n};
        MemorySegment params = MmgpKernels.im2colParams(arena, stride, padding, new int[] {1, 1, 1},
                new int[] {(int) kw, (int) kh, (int) kd}, inChannels, flags);
        return name(t(Ggml.custom4d(ctx, dst.id(), ne, MmgpKernels.im2col3dFunction(), Ggml.N_TASKS_MAX, params, input.ptr())), "mmgp_im2col_3d");
    }

    /**
     * A node computed by one of mmgp's own kernels as a ggml custom op (ggml_custom_4d, run by
     * every thread): {@code fn} is a {@code ggml_custom_op_t} address from {@link MmgpKernels},
     * {@code params} (or null) its userdata as int32, copied into this graph's arena so it lives
     * as long as the graph. A null source is a NULL src pointer (an operand the op may go without).
     */
    public Tensor customOp(String name, GgmlType type, long[] ne, MemorySegment fn, int[] params, Tensor... srcs) {
        MemorySegment userdata = params == null ? MemorySegment.NULL : arena.allocateFrom(ValueLayout.JAVA_INT, params);
        MemorySegment[] ptrs = new MemorySegment[srcs.length];
        for (int i = 0; i < srcs.length; i++) ptrs[i] = srcs[i] == null ? MemorySegment.NULL : srcs[i].ptr();
        return name(t(Ggml.custom4d(ctx, type.id(), ne, fn, Ggml.N_TASKS_MAX, userdata, ptrs)), name);
    }

    /** ggml_calc_conv_output_size with dilation 1. */
    private static long convOutputSize(long in, long kernel, int stride, int padding) {
        return (in + 2L * padding - (kernel - 1) - 1) / stride + 1;
    }

    /** Whether {@link #im2col} and {@link #im2col3d} use mmgp's im2col (decided once per JVM). */
    public static boolean usesMmgpIm2col() {
        return Im2colRoute.MMGP;
    }

    /**
     * The im2col route, decided on first use and logged once: mmgp's custom op when the kernels
     * library is loaded, unless {@code -Dmmgp.im2col=ggml} or {@code MMGP_IM2COL=ggml} asks for
     * ggml's (to compare the two).
     */
    private static final class Im2colRoute {
        static final boolean MMGP;

        static {
            String choice = System.getProperty("mmgp.im2col", System.getenv("MMGP_IM2COL"));
            boolean ggml = "ggml".equalsIgnoreCase(choice);
            MMGP = !ggml && MmgpKernels.isAvailable();
            System.getLogger(Graph.class.getName()).log(System.Logger.Level.DEBUG, MMGP
                    ? "im2col: mmgp's custom op from " + MmgpKernels.directory()
                    : ggml ? "im2col: ggml's (mmgp.im2col=ggml)"
                    : "im2col: ggml's; the mmgp kernels are unavailable: " + MmgpKernels.unavailableReason());
        }
    }

    /**
     * 3-D convolution with F32 accumulation: kernel [KW, KH, KD, IC·OC] (PyTorch's
     * [OC, IC, KD, KH, KW]), input [W, H, D, IC·N] → [OW, OH, OD, OC·N]. Unlike ggml_conv_3d,
     * the im2col buffer keeps the input's precision (ggml_conv_3d rounds it to F16).
     */
    public Tensor conv3d(Tensor kernel, Tensor input, int inChannels, int[] stride, int[] padding) {
        return conv3d(kernel, input, inChannels, stride, padding, this::mulMat);
    }

    /** {@link #conv3d(Tensor, Tensor, int, int[], int[])} with the patches' matmul computed by {@code matmul}, as {@link #conv2d}. */
    public Tensor conv3d(Tensor kernel, Tensor input, int inChannels, int[] stride, int[] padding, BinaryOperator<Tensor> matmul) {
        GgmlType colType = kernel.type() == GgmlType.F16 ? GgmlType.F16 : GgmlType.F32;
        Tensor col = im2col3d(kernel, input, inChannels, stride, padding, colType); // [K, OW, OH, OD·N]
        long oc = kernel.ne(3) / inChannels;
        long n = input.ne(3) / inChannels;
        long ow = col.ne(1), oh = col.ne(2), od = col.ne(3) / n;
        Tensor k2 = reshape(kernel, kernel.ne(0) * kernel.ne(1) * kernel.ne(2) * inChannels, oc);
        Tensor cols = reshape(col, col.ne(0), ow * oh * col.ne(3));
        Tensor y = matmul.apply(k2, cols);                 // [OC, OW·OH·OD·N]
        y = reshape(y, oc, ow * oh, od, n);
        y = cont(permute(y, 2, 0, 1, 3));                  // → [OW·OH, OD, OC, N]
        return reshape(y, ow, oh, od, oc * n);
    }

    /**
     * Causal 3-D convolution in time (as LTX-Video and other causal video VAEs do it): the first
     * frame is repeated {@code kd − 1} times in front, spatial padding is symmetric, and no frame
     * from the future is seen. input [W, H, T, C] for one clip.
     */
    public Tensor causalConv3d(Tensor kernel, Tensor input, int inChannels, int spatialPadding) {
        int kd = (int) kernel.ne(2);
        Tensor x = input;
        if (kd > 1) {
            Tensor first = view(input, new long[] {input.ne(0), input.ne(1), 1, input.ne(3)},
                    new long[] {input.nb(1), input.nb(2), input.nb(3)}, 0);
            Tensor front = first;
            for (int i = 1; i < kd - 1; i++) front = concat(front, first, 2);
            x = concat(front, input, 2);
        }
        return conv3d(kernel, x, inChannels, new int[] {1, 1, 1}, new int[] {spatialPadding, spatialPadding, 0});
    }

    /** Nearest-neighbour upscale of ne0 and ne1 by an integer factor. */
    public Tensor upscaleNearest(Tensor a, int factor) {
        return t(Ggml.upscale(ctx, a.ptr(), factor, SCALE_NEAREST));
    }

    public Tensor interpolate(Tensor a, long ne0, long ne1, long ne2, long ne3, int mode) {
        return t(Ggml.interpolate(ctx, a.ptr(), ne0, ne1, ne2, ne3, mode));
    }

    /** Zero padding at the end of each dimension. */
    public Tensor pad(Tensor a, int p0, int p1, int p2, int p3) {
        return t(Ggml.pad(ctx, a.ptr(), p0, p1, p2, p3));
    }

    /** Zero padding on both sides: {left0, right0, left1, right1, ...}. */
    public Tensor padExt(Tensor a, int... lr) {
        int[] p = java.util.Arrays.copyOf(lr, 8);
        return t(Ggml.padExt(ctx, a.ptr(), p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]));
    }

    public Tensor concat(Tensor a, Tensor b, int dim) {
        return t(Ggml.concat(ctx, a.ptr(), b.ptr(), dim));
    }

    // ---------------------------------------------------------------- shape

    /**
     * ggml_permute: axis i of {@code a} becomes axis {@code axes[i]} of the result (the inverse
     * of PyTorch's permute convention).
     */
    public Tensor permute(Tensor a, int ax0, int ax1, int ax2, int ax3) {
        return t(Ggml.permute(ctx, a.ptr(), ax0, ax1, ax2, ax3));
    }

    public Tensor transpose(Tensor a) { return unary(Ggml.Unary.TRANSPOSE, a); }
    public Tensor reshape(Tensor a, long... ne) {
        MemorySegment p = a.ptr();
        if (!Ggml.isContiguous(p)) p = Ggml.unary(Ggml.Unary.CONT, ctx, p);
        return t(Ggml.reshape(ctx, p, ne));
    }

    /** A strided view: {@code ne} sizes, {@code nb} byte strides of dims 1.., {@code offset} in bytes. */
    public Tensor view(Tensor a, long[] ne, long[] nb, long offset) {
        return t(Ggml.view(ctx, a.ptr(), ne, nb, offset));
    }

    public Tensor cont(Tensor a) { return unary(Ggml.Unary.CONT, a); }
    public Tensor cast(Tensor a, GgmlType type) {
        return t(Ggml.cast(ctx, a.ptr(), type.id()));
    }

    /**
     * Rows of {@code a} (embedding table [D, V]) picked by I32 ids → [D, n]. A quantized table in
     * one of the CPU's extra buffer types is refused: those re-lay quantized weights out for their
     * matmul kernels, and get_rows would read the new layout as rows.
     */
    public Tensor getRows(Tensor a, Tensor ids) {
        if (a.inExtraBuffer() && a.type().isQuantized()) {
            throw new IllegalArgumentException("embedding table " + a + " (" + a.type() + ") lives in the " + a.bufferName()
                    + " buffer type, whose layout get_rows cannot read; load the weights without extra buffer types");
        }
        return binary(Ggml.Binary.GET_ROWS, a, ids);
    }

    /** Index of the maximum along ne0 for each row (I32). */
    public Tensor argmax(Tensor a) { return unary(Ggml.Unary.ARGMAX, a); }

    /** Sinusoidal timestep embedding: diffusers' get_timestep_embedding with flip_sin_to_cos=True and downscale_freq_shift=0 (cosines first). */
    public Tensor timestepEmbedding(Tensor timesteps, int dim, int maxPeriod) {
        return t(Ggml.timestepEmbedding(ctx, timesteps.ptr(), dim, maxPeriod));
    }

    /** Frees the graph's native memory; a second call does nothing (a double free would crash the JVM). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (!allocator.equals(MemorySegment.NULL)) GgmlBackend.gallocrFree(allocator);
        if (profileCtx != null) Ggml.free(profileCtx);
        Ggml.free(ctx);
        arena.close();
    }
}
