package mmgp.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import mmgp.convert.TensorEncoder;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.graph.nn.MatMul;
import mmgp.bindings.kernels.MmgpKernels.Kind;
import mmgp.tensor.GgmlType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * ggml mul_mat through the engine's graph layer: weights [K, M] of the given type (placed the
 * way the engine places them, extra buffer types included), activations [K, N] F32. Type
 * {@value #Q8_0_MMGP} is mmgp's own Q8_0 GEMM ({@link MatMul#q8Gemm}: the route numerics=fast
 * takes) on the same Q8_0 weights, activation quantization included as in ggml's. A type
 * {@code T-mmgp} (F16, F32) is mmgp's FP32 GEMM ({@link MatMul#f32Gemm}) on the same weights;
 * {@code F16xF16} makes the activations F16 too, as the convolutions under numerics=fast multiply
 * F16 patches (the "weight" [K, M], M = output positions) with an F16 kernel (x [K, N], N = output
 * channels): {@code F16xF16} is ggml's F16 mul_mat on them, {@code F16xF16-mmgp} mmgp's GEMM.
 * JMH reports ops/s and, through {@link FlopCounter}, GFLOP/s = 2·M·N·K per op; {@link #main} prints
 * the same next to this CPU's measured peaks ({@link CpuPeaks}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
public class MatMulBench {
    /** "MxNxK" (x, not commas: JMH splits -p values at commas): 2048² square; aMUSEd-256 attention projection (1024 wide, 2·256 tokens); LTX 2B FFN (2048→8192, 1120 tokens); SmolVLM2 FFN at decode (576→1536, one token). */
    @Param({"2048x2048x2048", "1024x512x1024", "8192x1120x2048", "1536x1x576"})
    public String shape;

    @Param({"F32", "F16", "Q8_0", MatMulBench.Q8_0_MMGP})
    public String type;

    /** The type name of mmgp's Q8_0 GEMM row. */
    public static final String Q8_0_MMGP = "Q8_0-mmgp";
    /** The suffix of mmgp's FP32 GEMM rows (F16-mmgp, F32-mmgp, F16xF16-mmgp). */
    public static final String MMGP = "-mmgp";
    /** The weight type prefix whose activations are F16 as well (the convolutions' patches x kernel). */
    public static final String F16_BOTH = "F16xF16";
    /** The name of ggml's AMX buffer type in {@link WeightSet#placement}. */
    static final String AMX_BUFFER = "AMX";

    @Param({"2"})
    public int threads;

    private ComputeBackend backend;
    private WeightSet weights;
    private Graph graph;
    private Arena arena;
    private double gflopPerOp;
    /** Where the weight was placed ({@link WeightSet#placement}): "AMX" when ggml's AMX kernels take the matmul. */
    private String placement;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("x");
        long m = Long.parseLong(p[0]), n = Long.parseLong(p[1]), k = Long.parseLong(p[2]);
        gflopPerOp = 2.0 * m * n * k / 1e9;
        boolean mmgpQ8 = type.equals(Q8_0_MMGP);
        boolean mmgpF32 = !mmgpQ8 && type.endsWith(MMGP);
        String base = mmgpF32 ? type.substring(0, type.length() - MMGP.length()) : type;
        boolean xF16 = base.equals(F16_BOTH);
        GgmlType t = mmgpQ8 ? GgmlType.Q8_0 : xF16 ? GgmlType.F16 : GgmlType.valueOf(base);
        arena = Arena.ofShared();
        SplittableRandom rnd = new SplittableRandom(1);
        MemorySegment f32 = arena.allocate(m * k * 4, 64);
        for (long i = 0; i < m * k; i++) f32.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (rnd.nextDouble() * 2 - 1));
        MemorySegment region = arena.allocate(t.rowBytes(k) * m, 64);
        TensorEncoder.encode(t, f32, m, k, region);
        backend = ComputeBackend.cpu(threads);
        // mmgp's GEMMs read the weight's bytes as stored: a plain buffer, as MatMul.apply requires.
        weights = WeightSet.map(backend, region, List.of(new WeightSet.Entry("w", t, new long[] {k, m}, 0, true)), !mmgpQ8 && !mmgpF32);
        graph = new Graph(backend, 16);
        Tensor x = xF16 ? graph.input("x", GgmlType.F16, k, n) : graph.inputF32("x", k, n);
        Tensor w = weights.get("w");
        graph.output(mmgpQ8 ? MatMul.q8Gemm(graph, w, x) : mmgpF32 ? MatMul.f32Gemm(graph, w, x) : graph.mulMat(w, x));
        float[] xs = new float[(int) (k * n)];
        for (int i = 0; i < xs.length; i++) xs[i] = (float) (rnd.nextDouble() * 2 - 1);
        if (xF16) {
            MemorySegment halves = arena.allocate(2L * xs.length, 64);
            for (int i = 0; i < xs.length; i++) halves.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16(xs[i]));
            graph.set(x, halves);
        } else {
            graph.set(x, xs);
        }
        graph.compute();
        placement = weights.placement().get("w");
        System.out.printf("%n[matmul %s %s] weight placed in %s, %d threads%n", type, shape, placement, threads);
    }

    @Benchmark
    public void mulMat(FlopCounter flops) {
        graph.compute();
        flops.gflop += gflopPerOp;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        graph.close();
        weights.close();
        backend.close();
        arena.close();
    }

    /**
     * Prints GFLOP/s for each shape × type, measured outside JMH with the same code, and the share of
     * this CPU's measured peak of the instructions the row's route runs ({@link CpuPeaks}, {@link
     * #peakKind}: the vector units', AMX INT8 only for a quantized weight ggml placed in its AMX
     * buffer type). {@code -Dshapes=MxNxK,...} (M outputs, N tokens, K
     * inputs; {@code -Dshapes=models} for the LTX DiT, T5-XXL and aMUSEd UViT GEMMs, {@code -Dshapes=convs}
     * for the decoders' 3×3 convolutions as GEMMs, with types {@code F16xF16,F16xF16-mmgp}) and
     * {@code -Dtypes=F32,F16,...} choose the cases. With {@code -Dtorch=true} (and a Python with
     * torch: MMGP_PYTHON, /usr/bin/python3 or python3) PyTorch's nn.Linear runs the same shapes
     * through {@value TorchKernels#SCRIPT} (fp32, bf16, and int8 = quantize_dynamic) and its rows
     * follow each shape's, so ggml, mmgp and PyTorch stand side by side. {@code -Drounds=R} repeats
     * the types of a shape R times in turn (interleaved A/B) and prints every round.
     */
    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        CpuPeaks.Peaks peaks = CpuPeaks.available() ? CpuPeaks.measure(threads) : null;
        if (peaks == null) System.out.println("CPU peaks not measured: " + CpuPeaks.unavailableReason());
        else System.out.printf("measured peaks, %d threads: %s%n", threads, describe(peaks));
        String shapesArg = System.getProperty("shapes", "2048x2048x2048,1024x512x1024,8192x1120x2048,1536x1x576");
        List<String> shapes = List.of((switch (shapesArg) {
            case "models" -> MODEL_SHAPES;
            case "convs" -> CONV_SHAPES;
            default -> shapesArg;
        }).split(","));
        List<String> types = List.of(System.getProperty("types", shapesArg.equals("convs") ? F16_BOTH + "," + F16_BOTH + MMGP
                : "F32,F16,BF16,Q8_0," + Q8_0_MMGP + ",F16" + MMGP).split(","));
        int rounds = Integer.getInteger("rounds", 1);
        TorchKernels.Run torch = Boolean.getBoolean("torch") ? torch(shapes, threads) : null;
        FlopCounter flops = new FlopCounter();
        for (String s : shapes) {
            List<MatMulBench> benches = new java.util.ArrayList<>();
            for (String ty : types) {
                MatMulBench b = new MatMulBench();
                b.shape = s;
                b.type = ty;
                b.threads = threads;
                b.setUp();
                benches.add(b);
            }
            String[] p = s.split("x");
            double flop = 2.0 * Long.parseLong(p[0]) * Long.parseLong(p[1]) * Long.parseLong(p[2]);
            for (int round = 0; round < rounds; round++) {
                for (MatMulBench b : benches) {
                    for (int i = 0; i < 3; i++) b.mulMat(flops);
                    int reps = 0;
                    long t0 = System.nanoTime();
                    while (System.nanoTime() - t0 < 1_000_000_000L) {
                        b.mulMat(flops);
                        reps++;
                    }
                    double secs = (System.nanoTime() - t0) / 1e9 / reps;
                    double gflops = flop / secs / 1e9;
                    Kind kind = peakKind(peaks, b.type, b.placement);
                    double peak = peaks == null ? Double.NaN : peaks.of(kind);
                    System.out.printf("matmul %-9s MxNxK=%-16s %8.3f ms  %7.1f GFLOP/s  %5.1f%% of the %s peak%s%n", b.type, s, secs * 1e3, gflops,
                            100 * gflops / peak, kind.label(), rounds > 1 ? "  (round " + (round + 1) + ")" : "");
                }
            }
            for (MatMulBench b : benches) b.tearDown();
            TorchKernels.CaseResult tc = torch == null ? null : torch.get("matmul." + s);
            if (tc != null) {
                tc.dtypes().forEach((dtype, r) -> {
                    String ty = "torch-" + dtype;
                    if (r.ok()) {
                        Kind kind = torchPeakKind(peaks, dtype);
                        double peak = peaks == null ? Double.NaN : peaks.of(kind);
                        System.out.printf("matmul %-9s MxNxK=%-16s %8.3f ms  %7.1f GFLOP/s  %5.1f%% of the %s peak%s%n", ty, s, r.seconds() * 1e3, r.gflops(),
                                100 * r.gflops() / peak, kind.label(), r.reduced() != null ? "  (reduced: " + r.reduced() + ")" : "");
                    } else {
                        System.out.printf("matmul %-9s MxNxK=%-16s %s%n", ty, s, r.error() != null ? r.error() : "no result");
                    }
                });
            }
        }
    }

    /**
     * "MxNxK" of the decoders' 3×3 convolutions as im2col GEMMs (M output positions, N output
     * channels, K = 9·input channels): the aMUSEd VQ decoder at 256² (128 channels at 256²,
     * 256→128 and the 256-channel upsampler conv at 256², 256 at 128², 512 at 32²) and one frame
     * of the LTX VAE decoder at 320×512 (128 channels), 160×256 (256) and 80×128 (512).
     */
    static final String CONV_SHAPES = "65536x128x1152,65536x128x2304,65536x256x2304,16384x256x2304,1024x512x4608,"
            + "163840x128x1152,40960x256x2304,10240x512x4608";

    /** "MxNxK" of the models' transformer GEMMs: LTX DiT (1120 tokens), T5-XXL (128), aMUSEd UViT (2·256). */
    static final String MODEL_SHAPES = "2048x1120x2048,8192x1120x2048,2048x1120x8192,4096x128x4096,10240x128x4096,4096x128x10240,"
            + "1024x512x1024,2816x512x1024,1024x512x2816";

    /** PyTorch on the same shapes (nn.Linear(K, M) on N tokens), or null with the reason on stderr. */
    private static TorchKernels.Run torch(List<String> shapes, int threads) throws Exception {
        TorchKernels.Probe probe = TorchKernels.findPython(null);
        java.nio.file.Path script = probe.found() ? TorchKernels.findScript(null) : null;
        if (script == null) {
            System.err.println("torch rows skipped: " + (probe.found() ? "no " + TorchKernels.SCRIPT + " found (run from the source tree)" : probe.reason()));
            return null;
        }
        List<KernelCase> cases = new java.util.ArrayList<>();
        for (String s : shapes) {
            String[] p = s.split("x");
            cases.add(new KernelCase.Gemm("matmul", "matmul." + s, "MatMulBench", Long.parseLong(p[1]), Long.parseLong(p[0]), Long.parseLong(p[2])));
        }
        return TorchKernels.run(probe.python(), script, cases, threads, 1.0, 5.0, java.time.Duration.ofMinutes(30));
    }

    /**
     * "FP32 FMA 230.0 GFLOP/s, BF16 dot 460.0 GFLOP/s (path), INT8 dot 920.0 GOP/s", then the AMX
     * kinds where at least one was measured ("—" for the other): the tiles' are the hardware's
     * ceiling, printed even though only a weight in ggml's AMX buffer type runs on them.
     */
    static String describe(CpuPeaks.Peaks peaks) {
        boolean amx = !Double.isNaN(peaks.of(Kind.AMX_BF16)) || !Double.isNaN(peaks.of(Kind.AMX_INT8));
        List<String> parts = new java.util.ArrayList<>();
        for (Kind k : Kind.values()) {
            if (!amx && (k == Kind.AMX_BF16 || k == Kind.AMX_INT8)) continue;
            double v = peaks.of(k);
            String part = k.label() + (Double.isNaN(v) ? " —" : String.format(Locale.ROOT, " %.1f %s", v, k.unit()));
            parts.add(k == Kind.BF16 ? part + " (" + peaks.bf16Path() + ")" : part);
        }
        return String.join(", ", parts);
    }

    /**
     * The peak of the instructions a row's route runs on. ggml's quantized rows: AMX INT8 when the
     * weight was placed in ggml's AMX buffer type ({@code placement} "AMX", whose kernels use the
     * tiles) and that peak was measured, else the INT8 dot of ggml's vector dot; {@value #Q8_0_MMGP}:
     * the INT8 dot (AVX-512 VNNI or AVX2). BF16: the BF16 dot where the CPU has one, else FP32 FMA,
     * never AMX BF16 (ggml has no AMX BF16 matmul). F32, F16 and mmgp's FP32 GEMM: FP32 FMA.
     * Without peaks ({@code null}) the vector kinds.
     */
    static Kind peakKind(CpuPeaks.Peaks peaks, String type, String placement) {
        if (type.startsWith("Q")) {
            boolean tiles = !type.endsWith(MMGP) && AMX_BUFFER.equals(placement) && peaks != null && !Double.isNaN(peaks.of(Kind.AMX_INT8));
            return tiles ? Kind.AMX_INT8 : Kind.INT8;
        }
        if (type.equals("BF16") && peaks != null && !peaks.bf16Path().contains("emulated")) return Kind.BF16;
        return Kind.FP32;
    }

    /**
     * The peak a PyTorch row is judged against: int8 (quantize_dynamic, fbgemm's vector kernels) the
     * INT8 dot; bf16 the best measured BF16 kind, AMX BF16 on a CPU with AMX (oneDNN's matmul takes
     * the tiles), else the BF16 dot where the CPU has one; fp32 (and bf16 without either) FP32 FMA.
     */
    static Kind torchPeakKind(CpuPeaks.Peaks peaks, String dtype) {
        if (dtype.equals("int8")) return Kind.INT8;
        if (dtype.equals("bf16") && peaks != null) {
            if (!Double.isNaN(peaks.of(Kind.AMX_BF16))) return Kind.AMX_BF16;
            if (!peaks.bf16Path().contains("emulated")) return Kind.BF16;
        }
        return Kind.FP32;
    }
}
