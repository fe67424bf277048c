package mmgp.bench;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import mmgp.bench.e2e.Machine;
import mmgp.bindings.kernels.MmgpKernels;
import mmgp.bindings.kernels.MmgpKernels.Kind;

/**
 * This CPU's compute peak per data type (FP32 FMA, BF16 dot, INT8 dot, and on Intel CPUs with AMX
 * the BF16 and INT8 tile products), measured by mmgp's own register-only C kernels
 * ({@link MmgpKernels}), so a model stage's throughput can be reported as a fraction of the peak
 * of the instructions it runs on (the AMX ones only where ggml's AMX kernels take the weights; the
 * table prints them all as the hardware's ceiling). {@link #measure(int)} is what other bench
 * code calls; {@link #main} prints the table ({@code ./mmgp bench peak [threads]}).
 */
public final class CpuPeaks {
    /** Seconds per measurement in {@link #measure(int)}: long enough to ride out a scheduler hiccup. */
    public static final double DEFAULT_SECONDS = 1.0;
    /** Runs per kind and thread count; each measurement's seconds are split over them. */
    public static final int ROUNDS = 3;

    /**
     * Peaks at one thread count, per kind in GFLOP/s (FP32, BF16) or GOP/s (INT8), NaN for a kind
     * that cannot run here (the AMX ones without AMX), with the instruction path behind each (or why
     * it cannot run).
     */
    public record Peaks(int threads, Map<Kind, Double> values, Map<Kind, String> paths) {
        public Peaks {
            values = Map.copyOf(values);
            paths = Map.copyOf(paths);
        }

        public double of(Kind kind) {
            return values.getOrDefault(kind, Double.NaN);
        }

        public String pathOf(Kind kind) {
            return paths.get(kind);
        }

        public double fp32() {
            return of(Kind.FP32);
        }

        public double bf16() {
            return of(Kind.BF16);
        }

        public double int8() {
            return of(Kind.INT8);
        }

        public String bf16Path() {
            return pathOf(Kind.BF16);
        }

        /** {@code value} as a percentage of this data type's peak. */
        public double percentOf(Kind kind, double value) {
            return 100.0 * value / of(kind);
        }
    }

    private static final Map<Integer, Peaks> CACHE = new HashMap<>();

    private CpuPeaks() {}

    /** True when the kernels library is built and loaded; {@link #unavailableReason()} says why not. */
    public static boolean available() {
        return MmgpKernels.isAvailable();
    }

    public static String unavailableReason() {
        return MmgpKernels.unavailableReason();
    }

    /**
     * The peaks at {@code threads} threads (0: all CPUs), {@link #DEFAULT_SECONDS} each; measured
     * once per thread count for the life of the JVM. Throws a NativeLibraryException naming the
     * fix when the kernels are not built.
     */
    public static synchronized Peaks measure(int threads) {
        int n = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        Peaks cached = CACHE.get(n);
        if (cached == null) {
            cached = measure(n, DEFAULT_SECONDS);
            CACHE.put(n, cached);
        }
        return cached;
    }

    /**
     * A fresh measurement, not cached: per kind the best of {@link #ROUNDS} runs of
     * {@code seconds / ROUNDS} (the best, since other load on a shared machine only lowers it).
     */
    public static Peaks measure(int threads, double seconds) {
        if (threads <= 0) throw new IllegalArgumentException("threads must be positive, got " + threads);
        Map<Kind, Double> v = new EnumMap<>(Kind.class);
        Map<Kind, String> paths = new EnumMap<>(Kind.class);
        for (Kind kind : Kind.values()) {
            paths.put(kind, MmgpKernels.path(kind));
            double best = Double.NaN;
            if (MmgpKernels.isRunnable(kind)) {
                best = 0;
                for (int round = 0; round < ROUNDS; round++) best = Math.max(best, MmgpKernels.peakGflops(kind, threads, seconds / ROUNDS));
            }
            v.put(kind, best);
        }
        return new Peaks(threads, v, paths);
    }

    /** {@code [threads-list [seconds]]}, e.g. {@code 1,2 0.5}; default: 1 and all CPUs, 1 s each. */
    public static void main(String[] args) {
        int cpus = Runtime.getRuntime().availableProcessors();
        List<Integer> counts = new ArrayList<>();
        if (args.length > 0 && !args[0].isBlank()) {
            for (String s : args[0].split(",")) {
                int t = Integer.parseInt(s.trim());
                counts.add(t == 0 ? cpus : t);
            }
        } else {
            counts.add(1);
            if (cpus > 1) counts.add(cpus);
        }
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : DEFAULT_SECONDS;
        if (counts.stream().anyMatch(t -> t <= 0) || !(seconds > 0)) {
            System.err.println("usage: CpuPeaks [threads, e.g. 1,2 (0 = all " + cpus + " CPUs)] [seconds per measurement]");
            System.exit(2);
        }
        if (!available()) {
            System.err.println("mmgp: kernels not built: " + unavailableReason());
            System.exit(1);
        }
        System.out.print(table(counts, seconds));
    }

    /** The CPU's model name, or where there is none (macOS, some Arm Linux) the architecture and the OS. */
    static String cpuLabel() {
        String name = Machine.cpuName();
        return name.equals(System.getProperty("os.arch")) ? name + " " + System.getProperty("os.name") : name;
    }

    /** Measures every kind at every thread count and formats the table {@link #main} prints. */
    static String table(List<Integer> counts, double seconds) {
        List<Peaks> rows = new ArrayList<>();
        for (int t : counts) rows.add(measure(t, seconds));
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "CPU peaks on %s (%d CPUs), best of %d runs in %.2f s per measurement; a multiply-add counts 2 ops%n",
                cpuLabel(), Runtime.getRuntime().availableProcessors(), ROUNDS, seconds));
        out.append("kernels: ").append(MmgpKernels.directory()).append(loadAverage()).append(System.lineSeparator());
        int pathWidth = 4;
        for (Kind k : Kind.values()) pathWidth = Math.max(pathWidth, MmgpKernels.path(k).length());
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-9s %-" + pathWidth + "s %-8s", "kind", "path", "unit"));
        for (int t : counts) header.append(String.format(Locale.ROOT, " %10s", t + (t == 1 ? " thread" : " threads")));
        if (counts.size() > 1) header.append(String.format(Locale.ROOT, " %8s", "scaling"));
        out.append(header).append(System.lineSeparator());
        for (Kind k : Kind.values()) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-9s %-" + pathWidth + "s %-8s", k.label(), rows.get(0).pathOf(k), k.unit()));
            for (Peaks p : rows) line.append(Double.isNaN(p.of(k)) ? String.format(Locale.ROOT, " %10s", "—") : String.format(Locale.ROOT, " %10.1f", p.of(k)));
            if (counts.size() > 1) {
                Peaks first = rows.get(0), last = rows.get(rows.size() - 1);
                double scaling = last.of(k) / first.of(k);
                line.append(Double.isNaN(scaling) ? String.format(Locale.ROOT, " %8s", "—") : String.format(Locale.ROOT, " %7.2fx", scaling));
            }
            out.append(line).append(System.lineSeparator());
        }
        if (counts.size() > 1) {
            out.append(String.format(Locale.ROOT, "scaling: %d threads over %d%n", counts.get(counts.size() - 1), counts.get(0)));
        }
        return out.toString();
    }

    /** ", load average at the end: 1.02 0.80 0.51" where /proc/loadavg exists: other load lowers every figure. */
    private static String loadAverage() {
        List<String> load = Machine.loadAverages();
        return load.isEmpty() ? "" : ", load average at the end: " + String.join(" ", load);
    }
}
