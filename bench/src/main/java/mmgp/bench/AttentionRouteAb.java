package mmgp.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Numerics;
import mmgp.graph.Tensor;
import mmgp.graph.nn.Attention;
import mmgp.graph.nn.MatMul;
import mmgp.tensor.GgmlType;

/**
 * The attention routes compared in one JVM at the models' real shapes, interleaved: every round
 * computes each route once, in turn, so load from other processes falls on all routes alike.
 * Prints each route's median wall time and median process CPU time per compute (the compute
 * threads' time, which load on the machine inflates less than the wall clock) and GFLOP/s of
 * both, counting the two products (4·Tq·Tk·D); GF/cpu-s is per busy core.
 *
 * <pre>java -cp bench/target/mmgp-bench.jar mmgp.bench.AttentionRouteAb [rounds] [threads] [shape,...]</pre>
 * Shapes by name ({@link #SHAPES}); routes:
 * <ul>
 *   <li>{@code flash-f32}: ggml's flash attention with F32 K/V (EXACT's route; FAST's before mmgp's op)</li>
 *   <li>{@code flash-f16}: the same with K/V cast to F16 in the graph (q rounded to F16 for q·kᵀ)</li>
 *   <li>{@code materialised}: scores, soft_max, weighted sum with ggml's mul_mat</li>
 *   <li>{@code materialised-f32gemm}: the same per head with mmgp's FP32 GEMM ({@link MatMul#f32Gemm})</li>
 *   <li>{@code mmgp}: mmgp's fused attention op ({@link Attention#fused})</li>
 * </ul>
 */
public final class AttentionRouteAb {
    /** name → {Tq, Tk, heads, headDim, terms: 0 none, 1 key mask [Tk, Tq], 2 per-head bias [Tk, Tq, H], 3 causal mask}. */
    static final Map<String, int[]> SHAPES = new LinkedHashMap<>();

    static {
        SHAPES.put("ltx-self", new int[] {1120, 1120, 32, 64, 0});   // LTX 2B at 512×320×49: 7×10×16 latent tokens
        SHAPES.put("ltx-cross", new int[] {1120, 128, 32, 64, 1});   // to 128 T5 tokens, padding mask
        SHAPES.put("t5", new int[] {128, 128, 64, 64, 2});           // T5-XXL: 64 heads × 64, position bias
        SHAPES.put("uvit-self", new int[] {256, 256, 16, 64, 0});    // aMUSEd-256: 16×16 tokens, 1024 wide
        SHAPES.put("uvit-cross", new int[] {256, 77, 16, 64, 0});    // to 77 CLIP tokens
        SHAPES.put("clip", new int[] {77, 77, 12, 64, 3});           // CLIP ViT-L text: causal
    }

    /** Milliseconds of the fastest route per timed slice (-Dslice=…, default 1000). */
    static final double SLICE_MS = Double.parseDouble(System.getProperty("slice", "1000"));

    static final List<String> ROUTES = List.of("flash-f32", "flash-f16", "materialised", "materialised-f32gemm", "mmgp");

    private AttentionRouteAb() {}

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        List<String> shapes = args.length > 2 ? List.of(args[2].split(",")) : List.copyOf(SHAPES.keySet());
        if (rounds < 1) throw new IllegalArgumentException("rounds must be at least 1 (round 0, the warm-up, is not counted), got " + rounds);
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        System.out.printf("attention routes, %d threads, %d rounds after a warm-up, medians%n", threads, rounds);
        System.out.printf("%-11s %-21s %9s %9s %10s %10s%n", "shape", "route", "wall ms", "cpu ms", "GFLOP/s", "GF/cpu-s");
        try (ComputeBackend backend = ComputeBackend.cpu(threads, Numerics.FAST)) {
            for (String name : shapes) {
                int[] s = SHAPES.get(name);
                if (s == null) throw new IllegalArgumentException("unknown shape " + name + "; known: " + SHAPES.keySet());
                double gflop = 4.0 * s[0] * s[1] * s[2] * s[3] / 1e9;
                Map<String, Graph> graphs = new LinkedHashMap<>();
                Map<String, double[][]> times = new LinkedHashMap<>();
                try {
                    for (String route : ROUTES) {
                        graphs.put(route, build(backend, s, route));
                        times.put(route, new double[2][rounds]);
                    }
                    // The warm-up round also sizes a slice: enough computes that the fastest route runs
                    // about SLICE_MS, since the process CPU clock ticks coarsely (10 ms here).
                    int reps = 1;
                    for (int round = 0; round <= rounds; round++) {
                        double fastest = Double.MAX_VALUE;
                        for (String route : ROUTES) {
                            long cpu0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                            for (int i = 0; i < reps; i++) graphs.get(route).compute();
                            long wall = System.nanoTime() - t0, cpu = os.getProcessCpuTime() - cpu0;
                            fastest = Math.min(fastest, wall / 1e6);
                            if (round == 0) continue;
                            times.get(route)[0][round - 1] = wall / 1e6 / reps;
                            times.get(route)[1][round - 1] = cpu / 1e6 / reps;
                        }
                        if (round == 0) reps = (int) Math.max(1, Math.min(1000, Math.round(SLICE_MS / fastest)));
                    }
                } finally {
                    for (Graph g : graphs.values()) g.close();
                }
                for (String route : ROUTES) {
                    double wall = median(times.get(route)[0]), cpu = median(times.get(route)[1]);
                    System.out.printf("%-11s %-21s %9.2f %9.2f %10.1f %10.1f%n", name, route, wall, cpu, gflop / (wall / 1e3), gflop / (cpu / 1e3));
                }
            }
        }
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    /** One route's graph on random q, k, v (and the shape's bias or mask), inputs set. */
    static Graph build(ComputeBackend backend, int[] s, String route) {
        int tq = s[0], tk = s[1], heads = s[2], hd = s[3], d = heads * hd;
        float scale = s[4] == 2 ? 1f : Attention.defaultScale(hd);
        Graph g = new Graph(backend, 4096);
        SplittableRandom r = new SplittableRandom(7);
        Tensor q = input(g, "q", gaussian(r, d * tq), d, tq, 1), k = input(g, "k", gaussian(r, d * tk), d, tk, 1), v = input(g, "v", gaussian(r, d * tk), d, tk, 1);
        Tensor bias = null, mask = null;
        if (s[4] == 1) {
            float[] m = new float[tk * tq];
            for (int i = 0; i < tq; i++) for (int j = tk - tk / 4; j < tk; j++) m[i * tk + j] = -10000f; // the last quarter is padding
            mask = input(g, "mask", m, tk, tq);
        } else if (s[4] == 2) {
            float[] b = gaussian(r, tk * tq * heads);
            bias = input(g, "bias", b, tk, tq, heads);
        } else if (s[4] == 3) {
            mask = Attention.causalMask(g, "mask", tq);
        }
        Tensor out = switch (route) {
            case "flash-f32" -> Attention.flash(g, q, k, v, heads, scale, bias, mask, GgmlType.F32);
            case "flash-f16" -> Attention.flash(g, q, k, v, heads, scale, bias, mask, GgmlType.F16);
            case "materialised" -> Attention.materialised(g, q, k, v, heads, scale, bias, mask);
            case "materialised-f32gemm" -> materialisedF32Gemm(g, q, k, v, heads, scale, bias, mask);
            case "mmgp" -> Attention.fused(g, q, k, v, heads, scale, bias, mask, 0);
            default -> throw new IllegalArgumentException("unknown route " + route + "; known: " + ROUTES);
        };
        g.output(out);
        return g;
    }

    /**
     * The materialised composition per head with mmgp's FP32 GEMM for both products (its first
     * operand must be 2-D). Every head's [hd, Tq] result is a graph output of its own: joining them
     * into [D, Tq] would be one more copy, left out of the timing; returns the last head's.
     */
    private static Tensor materialisedF32Gemm(Graph g, Tensor q, Tensor k, Tensor v, int heads, float scale, Tensor bias, Tensor mask) {
        long d = q.ne(0), tq = q.ne(1), tk = k.ne(1), hd = d / heads;
        Tensor q4 = g.cont(g.permute(g.reshape(q, hd, heads, tq, 1), 0, 2, 1, 3)); // [hd, Tq, H]
        Tensor k4 = g.cont(g.permute(g.reshape(k, hd, heads, tk, 1), 0, 2, 1, 3)); // [hd, Tk, H]
        Tensor vt = g.cont(g.permute(g.reshape(v, hd, heads, tk, 1), 1, 2, 0, 3)); // [Tk, hd, H]
        Tensor oh = null;
        for (int h = 0; h < heads; h++) {
            Tensor kh = g.view(k4, new long[] {hd, tk}, new long[] {k4.nb(1)}, h * k4.nb(2));
            Tensor qh = g.view(q4, new long[] {hd, tq}, new long[] {q4.nb(1)}, h * q4.nb(2));
            Tensor vh = g.view(vt, new long[] {tk, hd}, new long[] {vt.nb(1)}, h * vt.nb(2));
            Tensor scores = MatMul.f32Gemm(g, kh, qh); // [Tk, Tq]
            Tensor add = bias != null ? g.view(bias, new long[] {tk, tq}, new long[] {bias.nb(1)}, h * bias.nb(2)) : mask;
            Tensor probs = g.softMax(scores, add, scale);
            oh = MatMul.f32Gemm(g, vh, probs); // [hd, Tq]
            if (h < heads - 1) g.output(oh);
        }
        return oh;
    }

    private static Tensor input(Graph g, String name, float[] values, long... ne) {
        Tensor t = g.inputF32(name, ne);
        g.set(t, values);
        return t;
    }

    private static float[] gaussian(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }
}
