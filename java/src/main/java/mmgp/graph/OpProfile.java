package mmgp.graph;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import mmgp.bindings.ggml.Ggml;
import mmgp.bindings.ggml.GgmlTensorStruct;
import mmgp.bindings.kernels.AttentionKernel;
import mmgp.bindings.kernels.MmgpKernels;
import mmgp.tensor.GgmlType;

/**
 * Where a graph's time goes, op by op: seconds, calls and (for the ops whose arithmetic is known)
 * GFLOP/s, grouped by op and operand type ("MUL_MAT q8_0×f32", "FLASH_ATTN_EXT f16", "IM2COL").
 *
 * <p>Filled by {@link Graph#compute()} when profiling is on ({@code -Dmmgp.profile=true} or
 * {@code MMGP_PROFILE=1}): each node then runs as a graph of its own, so every op is timed
 * alone (a few microseconds of dispatch per node are added). Profiles are kept per graph label
 * (the name of the graph's first output) for the life of the JVM and printed by {@link #report()}.
 */
public final class OpProfile {
    /** One op kind's totals. */
    public record Row(String op, long calls, double seconds, double flops) {
        public double gflops() {
            return seconds > 0 && flops > 0 ? flops / seconds / 1e9 : 0;
        }
    }

    private static final Map<String, OpProfile> BY_LABEL = new LinkedHashMap<>();
    private static boolean hookAdded;

    private final String label;
    private final Map<String, double[]> rows = new LinkedHashMap<>(); // op → {calls, seconds, flops}
    private long computes;

    private OpProfile(String label) {
        this.label = label;
    }

    /** Whether {@link Graph#compute()} profiles (read on every call, so tests may switch it). */
    public static boolean enabled() {
        String p = System.getProperty("mmgp.profile");
        if (p != null) return Boolean.parseBoolean(p);
        String e = System.getenv("MMGP_PROFILE");
        return e != null && !e.isEmpty() && !e.equals("0") && !e.equalsIgnoreCase("false");
    }

    /** The profile kept for graphs labelled {@code label} (created on first use). */
    public static synchronized OpProfile of(String label) {
        if (BY_LABEL.isEmpty() && !hookAdded) {
            hookAdded = true;
            Runtime.getRuntime().addShutdownHook(new Thread(OpProfile::writeAtExit, "mmgp-op-profile"));
        }
        return BY_LABEL.computeIfAbsent(label, OpProfile::new);
    }

    /**
     * At JVM exit: the report to {@code -Dmmgp.profile.out} / {@code MMGP_PROFILE_OUT} when set,
     * else to standard error, so {@code MMGP_PROFILE=1 ./mmgp image ...} profiles any command.
     */
    private static void writeAtExit() {
        String text = report();
        if (text.isEmpty()) return;
        String out = System.getProperty("mmgp.profile.out", System.getenv("MMGP_PROFILE_OUT"));
        try {
            if (out != null && !out.isEmpty()) java.nio.file.Files.writeString(java.nio.file.Path.of(out), text);
            else System.err.print("\nop profile (MMGP_PROFILE):\n" + text);
        } catch (java.io.IOException e) {
            System.err.println("could not write the op profile to " + out + ": " + e.getMessage());
        }
    }

    /** Every profile recorded so far, in first-use order. */
    public static synchronized List<OpProfile> all() {
        return List.copyOf(BY_LABEL.values());
    }

    public static synchronized void reset() {
        BY_LABEL.clear();
    }

    public String label() {
        return label;
    }

    public synchronized long computes() {
        return computes;
    }

    synchronized void countCompute() {
        computes++;
    }

    synchronized void add(MemorySegment node, double seconds) {
        double[] r = rows.computeIfAbsent(key(node), k -> new double[3]);
        r[0]++;
        r[1] += seconds;
        r[2] += flops(node);
    }

    /** Rows, most time first. */
    public synchronized List<Row> rows() {
        List<Row> out = new ArrayList<>();
        rows.forEach((k, v) -> out.add(new Row(k, (long) v[0], v[1], v[2])));
        out.sort(Comparator.comparingDouble(Row::seconds).reversed());
        return out;
    }

    public synchronized double seconds() {
        return rows.values().stream().mapToDouble(v -> v[1]).sum();
    }

    public synchronized double flops() {
        return rows.values().stream().mapToDouble(v -> v[2]).sum();
    }

    /** A plain-text table of this profile (per compute: seconds, share of the time, GFLOP/s). */
    public String table() {
        StringBuilder sb = new StringBuilder();
        long n = Math.max(1, computes());
        double total = seconds();
        sb.append(String.format(Locale.ROOT, "%s: %d compute(s), %.3f s per compute, %.1f GFLOP per compute, %.1f GFLOP/s overall%n",
                label, computes(), total / n, flops() / n / 1e9, total > 0 ? flops() / total / 1e9 : 0));
        sb.append(String.format(Locale.ROOT, "  %-34s %8s %10s %6s %9s%n", "op", "calls", "s/compute", "share", "GFLOP/s"));
        for (Row r : rows()) {
            if (r.seconds() / Math.max(total, 1e-12) < 0.001) continue;
            sb.append(String.format(Locale.ROOT, "  %-34s %8d %10.4f %5.1f%% %9s%n", r.op(), r.calls() / n, r.seconds() / n,
                    100 * r.seconds() / total, r.flops() > 0 ? String.format(Locale.ROOT, "%.1f", r.gflops()) : "-"));
        }
        return sb.toString();
    }

    /** Every profile's table. */
    public static String report() {
        StringBuilder sb = new StringBuilder();
        for (OpProfile p : all()) sb.append(p.table()).append('\n');
        return sb.toString();
    }

    /** "OP srcTypes" — matmuls and attention carry their operand types, since those choose the kernel. */
    static String key(MemorySegment node) {
        String op = Ggml.opDesc(node);
        MemorySegment a = GgmlTensorStruct.src(node, 0), b = GgmlTensorStruct.src(node, 1);
        return switch (op) {
            case "MUL_MAT", "OUT_PROD" -> op + " " + typeName(a) + "×" + typeName(b);
            case "FLASH_ATTN_EXT" -> op + " K " + typeName(b);
            case "CPY", "DUP", "CONT" -> op + " " + typeName(a) + "→" + typeName(node);
            case "IM2COL", "IM2COL_3D" -> op + " →" + typeName(node);
            case "CUSTOM" -> op + " " + GgmlTensorStruct.name(node) + " →" + typeName(node); // our own kernels name their nodes
            default -> op;
        };
    }

    private static String typeName(MemorySegment t) {
        if (t.equals(MemorySegment.NULL)) return "-";
        return GgmlType.byId(GgmlTensorStruct.type(t)).name().toLowerCase(Locale.ROOT);
    }

    /** Multiply-adds counted as two FLOPs; 0 for ops whose cost is memory traffic. */
    static double flops(MemorySegment node) {
        String op = Ggml.opDesc(node);
        MemorySegment a = GgmlTensorStruct.src(node, 0);
        switch (op) {
            case "MUL_MAT": {
                // a [K, M, ...], b [K, N, ...] → [M, N, ...]
                double k = GgmlTensorStruct.ne(a, 0);
                return 2 * k * elements(node);
            }
            case "FLASH_ATTN_EXT": {
                // q [D, Nq, H, B], k [D, Nk, Hkv, B]: q·kᵀ and p·v
                MemorySegment k = GgmlTensorStruct.src(node, 1);
                double d = GgmlTensorStruct.ne(a, 0), nq = GgmlTensorStruct.ne(a, 1), h = GgmlTensorStruct.ne(a, 2), b = GgmlTensorStruct.ne(a, 3);
                double nk = GgmlTensorStruct.ne(k, 1);
                return 4 * d * nq * nk * h * b;
            }
            case "CUSTOM": {
                // mmgp's Q8_0 and F32 GEMMs (nn.MatMul#q8Gemm, #f32Gemm): a [K, M] × b → [M, N, ...], as MUL_MAT.
                // Known by their function, not their name: a model may rename the node (an output's name).
                long fn = GgmlTensorStruct.customOpFunction(node);
                if (MmgpKernels.isAvailable() && (fn == MmgpKernels.q8GemmFunction().address() || fn == MmgpKernels.f32GemmFunction().address())) {
                    return 2.0 * GgmlTensorStruct.ne(a, 0) * elements(node);
                }
                if (MmgpKernels.hasWinogradFused() && fn == MmgpKernels.winogradFusedFunction().address()) return winogradFusedFlops(node);
                if (AttentionKernel.available() && fn == AttentionKernel.function().address()) {
                    // mmgp's attention (nn.Attention#fused): q [D, Tq, B], k [D, Tk, B], D = heads·hd; q·kᵀ and p·v as FLASH_ATTN_EXT
                    double tk = GgmlTensorStruct.ne(GgmlTensorStruct.src(node, 1), 1);
                    return 4 * GgmlTensorStruct.ne(a, 0) * GgmlTensorStruct.ne(a, 1) * tk * GgmlTensorStruct.ne(a, 2);
                }
                return 0;
            }
            default:
                return 0;
        }
    }

    /**
     * The fused Winograd op's products, the work it does: per tile, tap and position t an
     * [IC]·[IC, OC] product, for every output frame and every tap (U {16·IC, ⌈OC/16⌉, T², taps} is
     * source 1; the output [OW, OH, OC or frames, ...] holds OC·frames·batch planes). Each output
     * frame multiplies all its taps' frames, so a clamped edge frame read by several output frames
     * (first &lt; 0, or past the clip's end) is counted each time; the three-op route multiplies
     * each frame a tap reads once, so it counts fewer there, and the same on images and unclamped frames.
     */
    private static double winogradFusedFlops(MemorySegment node) {
        MemorySegment u = GgmlTensorStruct.src(node, 1);
        double ic = GgmlTensorStruct.ne(u, 0) / 16.0, t2 = GgmlTensorStruct.ne(u, 2), taps = GgmlTensorStruct.ne(u, 3);
        long m = Math.round(Math.sqrt(t2)) - 2, ow = GgmlTensorStruct.ne(node, 0), oh = GgmlTensorStruct.ne(node, 1);
        double tiles = (double) Math.ceilDiv(ow, m) * Math.ceilDiv(oh, m), planes = elements(node) / ((double) ow * oh);
        return 2 * ic * t2 * taps * tiles * planes;
    }

    private static double elements(MemorySegment t) {
        double n = 1;
        for (int i = 0; i < 4; i++) n *= GgmlTensorStruct.ne(t, i);
        return n;
    }
}
