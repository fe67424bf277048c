package mmgp.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import mmgp.convert.TensorEncoder;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Numerics;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.graph.nn.Attention;
import mmgp.graph.nn.Conv3d;
import mmgp.graph.nn.Winograd;
import mmgp.tensor.GgmlType;

/**
 * The ggml side of {@code mmgp bench kernels}: each {@link KernelCase} built as a one-op graph the
 * way mmgp's models build it ({@link Graph#mulMat} on weights placed by {@link WeightSet} — extra
 * buffer types included —, {@link Graph#conv2d}, {@link Graph#conv3d}, {@link Attention#multiHead}
 * or {@link Graph#flashAttention}) and timed on a {@link ComputeBackend}.
 */
public final class GgmlKernels {
    /** GEMM weight types, conv kernel types, attention paths. */
    public static final String F32 = "F32", F16 = "F16", Q8_0 = "Q8_0", F16_AS_F32 = "F16→F32", EXACT = "exact", FLASH = "flash";
    /** Conv3d through the 3-D im2col (Graph.conv3d, KD·KH·KW·C per position), the route before the tap route. */
    public static final String IM2COL3D_F32 = "im2col3d F32", IM2COL3D_F16 = "im2col3d F16", WINOGRAD = "winograd";

    private GgmlKernels() {}

    /**
     * One variant of one case: median seconds per call, GFLOP/s, how many calls were timed, and a
     * note (where the weight was placed, how it was computed); or an error instead.
     */
    public record Measurement(String variant, double seconds, double gflops, int calls, String note, String error) {
        public boolean ok() {
            return error == null;
        }
    }

    /**
     * The variants measured for a case. GEMM: F32, F16 and Q8_0 weights. Conv: F32 and F16 kernels
     * (F16: im2col in F16, as the LTX VAE decoder runs); conv2d also F16 kernels cast to F32 in the
     * graph, which is how the aMUSEd VQ decoder runs them. Conv3d: F32 and F16 are the im2col tap
     * route ({@link Conv3d#apply}, time taps of 2-D convolutions, {@code mmgp.conv=im2col}) under
     * EXACT and FAST numerics, winograd the same taps by Winograd (FAST's default, its GFLOP/s
     * counted as the direct convolution's FLOPs: effective), and the 3-D im2col
     * ({@link Graph#conv3d}) with F32 and F16 kernels beside them. Attention: {@link Attention#multiHead}
     * (exact F32, what the models use) and ggml's flash attention with K/V cast to F16.
     */
    public static List<String> variants(KernelCase c) {
        return switch (c) {
            case KernelCase.Gemm g -> List.of(F32, F16, Q8_0);
            case KernelCase.Conv2d x -> List.of(F32, F16, F16_AS_F32);
            case KernelCase.Conv3d x -> List.of(F32, F16, WINOGRAD, IM2COL3D_F32, IM2COL3D_F16);
            case KernelCase.Attention a -> List.of(EXACT, FLASH);
        };
    }

    /** Every variant of {@code c} on {@code backend}, about {@code targetSeconds} of timed calls each. */
    public static List<Measurement> measureAll(ComputeBackend backend, KernelCase c, double targetSeconds) {
        List<Measurement> out = new ArrayList<>();
        for (String v : variants(c)) out.add(measure(backend, c, v, targetSeconds));
        return out;
    }

    /** One variant; an op ggml cannot build or run comes back as a measurement with an error. */
    public static Measurement measure(ComputeBackend backend, KernelCase c, String variant, double targetSeconds) {
        try (Built b = build(backend, c, variant)) {
            Timing t = Timing.of(b.graph::compute, targetSeconds);
            String note = b.reportBuffer ? String.format(java.util.Locale.ROOT, "compute buffer %.1f MiB; %s", b.graph.computeBufferBytes() / 1048576.0, b.note) : b.note;
            return new Measurement(variant, t.seconds(), c.flop() / t.seconds() / 1e9, t.calls(), note, null);
        } catch (RuntimeException | OutOfMemoryError e) {
            return new Measurement(variant, Double.NaN, Double.NaN, 0, null, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /**
     * Median seconds per call of an op: warm-up (the first call allocates), then samples of one or
     * more calls (a sample lasts at least ~20 ms) for about {@code target} seconds in all; ops
     * slower than a second get one to three samples.
     */
    public record Timing(double seconds, int calls) {
        public static Timing of(Runnable op, double target) {
            long warmStart = System.nanoTime();
            double last = time(op);
            while ((System.nanoTime() - warmStart) / 1e9 < Math.min(0.25, target / 3) && last < 0.1) last = time(op);
            int inner = (int) Math.max(1, Math.ceil(0.02 / Math.max(last, 1e-9)));
            int samples = last > 1.0 ? Math.clamp((long) (3.0 / last), 1, 3)
                    : Math.clamp(Math.round(target / (inner * last)), 3, 25);
            double[] times = new double[samples];
            for (int s = 0; s < samples; s++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < inner; i++) op.run();
                times[s] = (System.nanoTime() - t0) / 1e9 / inner;
            }
            java.util.Arrays.sort(times);
            double median = samples % 2 == 1 ? times[samples / 2] : (times[samples / 2 - 1] + times[samples / 2]) / 2;
            return new Timing(median, samples * inner);
        }

        private static double time(Runnable op) {
            long t0 = System.nanoTime();
            op.run();
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    /** A built one-op graph, its weights and the memory behind them. */
    private static final class Built implements AutoCloseable {
        final Arena arena = Arena.ofShared();
        WeightSet weights;
        ComputeBackend own; // a backend of other numerics than the caller's, when the variant needs one
        boolean reportBuffer; // the note starts with the planned compute buffer
        Graph graph;
        String note;

        @Override
        public void close() {
            if (graph != null) graph.close();
            if (weights != null) weights.close();
            if (own != null) own.close();
            arena.close();
        }
    }

    private static Built build(ComputeBackend backend, KernelCase c, String variant) {
        Built b = new Built();
        try {
            SplittableRandom rnd = new SplittableRandom(c.name().hashCode());
            b.graph = new Graph(backend, 64);
            Graph g = b.graph;
            switch (c) {
                case KernelCase.Gemm m -> {
                    GgmlType type = GgmlType.valueOf(variant);
                    Tensor w = weight(b, backend, rnd, type, new long[] {m.k(), m.n()}, true, 1 / Math.sqrt(m.k()));
                    Tensor x = input(g, b, rnd, "x", m.k(), m.m());
                    g.output(g.mulMat(w, x));
                    b.note = type + " weight, WeightSet placement: " + b.weights.placement().get("w");
                }
                case KernelCase.Conv2d k -> {
                    GgmlType type = variant.equals(F32) ? GgmlType.F32 : GgmlType.F16;
                    Tensor w = weight(b, backend, rnd, type, new long[] {k.kernel(), k.kernel(), k.cIn(), k.cOut()}, false,
                            1 / Math.sqrt((double) k.cIn() * k.kernel() * k.kernel()));
                    if (variant.equals(F16_AS_F32)) w = g.cast(w, GgmlType.F32);
                    Tensor x = input(g, b, rnd, "x", k.w(), k.h(), k.cIn(), k.n());
                    g.output(g.conv2d(w, x, k.stride(), k.padding()));
                    b.note = switch (variant) {
                        case F32 -> "im2col F32, F32 matmul";
                        case F16 -> "im2col F16, F16 matmul";
                        default -> "F16 kernel cast to F32 in the graph, then F32 (aMUSEd VqDecoder's route)";
                    } + "; " + im2colRoute();
                }
                case KernelCase.Conv3d k -> {
                    boolean winograd = variant.equals(WINOGRAD), route = variant.equals(F32) || variant.equals(F16) || winograd;
                    GgmlType type = variant.equals(F32) || variant.equals(IM2COL3D_F32) ? GgmlType.F32 : GgmlType.F16;
                    if (route) {
                        // The route's precision is the backend's numerics: a graph on a backend of its own.
                        Numerics numerics = type == GgmlType.F16 ? Numerics.FAST : Numerics.EXACT;
                        if (backend.numerics() != numerics) {
                            b.own = ComputeBackend.cpu(backend.threads(), numerics);
                            g.close();
                            b.graph = new Graph(b.own, 64);
                            g = b.graph;
                        }
                    }
                    ComputeBackend on = b.own != null ? b.own : backend;
                    int[] kk = k.kernel(), p = k.padding();
                    Tensor w = weight(b, on, rnd, type, new long[] {kk[2], kk[1], kk[0], (long) k.cIn() * k.cOut()}, false,
                            1 / Math.sqrt((double) k.cIn() * kk[0] * kk[1] * kk[2]));
                    Tensor x = input(g, b, rnd, "x", k.w(), k.h(), k.t(), (long) k.cIn() * k.n());
                    int[] stride = {1, 1, 1}, padding = {p[2], p[1], p[0]};
                    Graph graph = g;
                    // The route is read at graph build: the im2col columns pin it, the winograd one takes FAST's default.
                    Tensor y = route ? withProperty("mmgp.conv", winograd ? "winograd" : "im2col", () -> Conv3d.apply(graph, w, x, k.cIn(), stride, padding))
                            : g.conv3d(w, x, k.cIn(), stride, padding);
                    g.output(y);
                    b.note = (winograd
                            ? "Conv3d.apply FAST, Winograd (" + winogradConfig(g, w, x, k.cIn(), stride, padding)
                                    + "; time taps of 2-D convolutions); GFLOP/s counts the direct convolution's FLOPs (effective)"
                            : route
                            ? "Conv3d.apply " + (type == GgmlType.F16 ? "FAST: F16 patches, F16 matmul" : "EXACT: F32 patches, F32 matmul")
                                    + " (mmgp.conv=im2col; time taps of 2-D convolutions: KH·KW·C im2col per frame, one matmul per tap)"
                            : "Graph.conv3d: 3-D im2col " + type + " (KD·KH·KW·C per position), " + type + " matmul")
                            + "; " + im2colRoute();
                    b.reportBuffer = true;
                }
                case KernelCase.Attention a -> {
                    long d = (long) a.heads() * a.headDim();
                    if (variant.equals(EXACT)) {
                        Tensor q = input(g, b, rnd, "q", d, a.qLen(), a.batch());
                        Tensor k = input(g, b, rnd, "k", d, a.kvLen(), a.batch()), v = input(g, b, rnd, "v", d, a.kvLen(), a.batch());
                        g.output(Attention.multiHead(g, q, k, v, a.heads(), null));
                        b.note = "Attention.multiHead: F32 scores, softmax, weighted sum (the models' path)";
                    } else {
                        Tensor q = input(g, b, rnd, "q", a.headDim(), a.qLen(), a.heads(), a.batch());
                        Tensor k = input(g, b, rnd, "k", a.headDim(), a.kvLen(), a.heads(), a.batch());
                        Tensor v = input(g, b, rnd, "v", a.headDim(), a.kvLen(), a.heads(), a.batch());
                        g.output(g.flashAttention(q, g.cast(k, GgmlType.F16), g.cast(v, GgmlType.F16), null, (float) (1 / Math.sqrt(a.headDim()))));
                        b.note = "ggml_flash_attn_ext, K/V cast to F16 in the graph";
                    }
                }
            }
            return b;
        } catch (RuntimeException | Error e) {
            b.close();
            throw e;
        }
    }

    /** Which im2col Graph.conv2d/conv3d use in this JVM (mmgp's own custom op, or ggml's). */
    static String im2colRoute() {
        return Graph.usesMmgpIm2col() ? "im2col by mmgp's custom op" : "im2col by ggml";
    }

    /** A weight "w" of {@code type}, uniform in ±scale·√3, placed by WeightSet as a model's would be. */
    private static Tensor weight(Built b, ComputeBackend backend, SplittableRandom rnd, GgmlType type, long[] ne, boolean matmulWeight, double scale) {
        long rows = 1;
        for (int i = 1; i < ne.length; i++) rows *= ne[i];
        long n = rows * ne[0];
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment f32 = scratch.allocate(n * 4, 64);
            fill(f32, n, rnd, scale * Math.sqrt(3));
            MemorySegment region = b.arena.allocate(type.rowBytes(ne[0]) * rows, 64);
            TensorEncoder.encode(type, f32, rows, ne[0], region);
            b.weights = WeightSet.map(backend, region, List.of(new WeightSet.Entry("w", type, ne, 0, matmulWeight)), true);
        }
        return b.weights.get("w");
    }

    /** An F32 input filled with uniform values in [−1, 1]. */
    private static Tensor input(Graph g, Built b, SplittableRandom rnd, String name, long... ne) {
        Tensor t = g.inputF32(name, ne);
        long n = t.elements();
        MemorySegment values = b.arena.allocate(n * 4, 64);
        fill(values, n, rnd, 1);
        g.set(t, values);
        return t;
    }

    private static void fill(MemorySegment seg, long n, SplittableRandom rnd, double amplitude) {
        for (long i = 0; i < n; i++) seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) ((rnd.nextDouble() * 2 - 1) * amplitude));
    }

    /** {@code body} with system property {@code key} set to {@code value}, restored after. */
    private static <T> T withProperty(String key, String value, java.util.function.Supplier<T> body) {
        String old = System.setProperty(key, value);
        try {
            return body.get();
        } finally {
            if (old == null) System.clearProperty(key);
            else System.setProperty(key, old);
        }
    }

    /** The Winograd tile and operand type the taps took, or why they did not take it. */
    private static String winogradConfig(Graph g, Tensor w, Tensor x, int inChannels, int[] stride, int[] padding) {
        Winograd.Config c = withProperty("mmgp.conv", "winograd", () -> Conv3d.Taps.of(g, w, inChannels, x, stride, padding).winograd());
        return c == null ? "not taken at this shape: im2col" : "F(" + c.tile() + "×" + c.tile() + ",3×3), " + c.type() + " operands";
    }

}
