package mmgp.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import mmgp.bench.e2e.Machine;
import mmgp.bindings.NativeLibraries;
import mmgp.graph.ComputeBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mmgp bench kernels}: the GEMM, convolution and attention shapes of aMUSEd, T5-XXL, LTX-Video
 * and the two decoders at full size, computed by ggml the way mmgp computes them ({@link GgmlKernels})
 * and by PyTorch ({@code bench/python/torch_kernels.py} through {@link TorchKernels}) in the same run, on
 * the same thread counts; one table of GFLOP/s per thread count, written as kernels.json and kernels.md.
 */
@Command(name = "mmgp bench kernels", mixinStandardHelpOptions = true,
        description = "GEMM/conv/attention shapes of the models: ggml (as mmgp runs them) side by side with PyTorch (JSON + Markdown).")
public final class KernelPeers extends BenchCommand {
    public static final String JSON_FILE = "kernels.json", MARKDOWN_FILE = "kernels.md";
    static final List<String> GROUPS = List.of("amused", "t5", "ltx", "vq", "vae");

    @Option(names = "--threads", split = ",", defaultValue = "2", description = "Thread counts, e.g. 1,2 (default ${DEFAULT-VALUE}).")
    List<Integer> threads;

    @Option(names = "--quick", description = "A few small cases with short timings: proves the harness, measures nothing of the models.")
    boolean quick;

    @Option(names = "--cases", split = ",", description = "Case groups to run: amused, t5, ltx, vq, vae (default all).")
    List<String> groups;

    @Option(names = "--out", description = "Output folder (default bench/results/kernels-<date>/; with --quick: none unless given).")
    Path out;

    @Option(names = "--target", description = "Seconds of timed calls per measurement (default 0.75; 0.15 with --quick).")
    Double target;

    @Option(names = "--max-call", defaultValue = "5", description = "A torch dtype whose one call would take longer runs on a reduced shape (default ${DEFAULT-VALUE} s).")
    double maxCall;

    @Option(names = "--python", description = "Python with torch (default: MMGP_PYTHON, /usr/bin/python3, python3, the first that imports torch).")
    String python;

    @Option(names = "--script", description = "torch_kernels.py (default: " + TorchKernels.SCRIPT + " under the mmgp folder).")
    Path script;

    @Option(names = "--no-torch", description = "Measure the ggml side only.")
    boolean noTorch;

    @Option(names = "--interleave", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Run torch on each case right after ggml (one script run per case; default), or with --no-interleave all cases in one script run at the end.")
    boolean interleave = true;

    @Option(names = "--render", description = "Measure nothing: rewrite kernels.md of --out from its kernels.json.")
    boolean render;

    @Option(names = "--no-peak", description = "Do not measure the F32 FMA peak (about 2 s per thread count).")
    boolean noPeak;

    public KernelPeers() {
        super("kernels");
    }

    public static void main(String[] args) {
        main(new KernelPeers(), args);
    }

    /** The cases of the given groups (all groups when null or empty); {@code quick} gives the small proof cases instead. */
    public static List<KernelCase> cases(boolean quick, List<String> groups) {
        if (quick) return KernelCase.quick();
        if (groups == null || groups.isEmpty()) return KernelCase.full();
        Set<String> wanted = groups.stream().map(String::strip).collect(Collectors.toSet());
        for (String g : wanted) {
            if (!GROUPS.contains(g)) throw new IllegalArgumentException("unknown case group '" + g + "' (known: " + String.join(", ", GROUPS) + ")");
        }
        return KernelCase.full().stream().filter(c -> wanted.contains(c.group())).toList();
    }

    /** The ggml side of one thread count: every case's variants, on one CPU backend. Progress goes to stderr. */
    public static Map<String, List<GgmlKernels.Measurement>> measureGgml(List<KernelCase> cases, int threads, double targetSeconds) {
        Map<String, List<GgmlKernels.Measurement>> out = new LinkedHashMap<>();
        try (ComputeBackend backend = ComputeBackend.cpu(threads)) {
            for (KernelCase c : cases) out.put(c.name(), measureGgml(backend, c, targetSeconds));
        }
        return out;
    }

    /** Every ggml variant of one case on {@code backend}; progress goes to stderr. */
    public static List<GgmlKernels.Measurement> measureGgml(ComputeBackend backend, KernelCase c, double targetSeconds) {
        List<GgmlKernels.Measurement> ms = new ArrayList<>();
        for (String v : GgmlKernels.variants(c)) {
            GgmlKernels.Measurement m = GgmlKernels.measure(backend, c, v, targetSeconds);
            System.err.printf("ggml  %-24s %-12s %s%n", c.name(), v, m.ok() ? KernelMarkdown.gflops(m.gflops()) + " GFLOP/s" : m.error());
            ms.add(m);
        }
        return ms;
    }

    /** Runs everything the options ask for and returns the report (writes nothing). */
    public KernelReport measure() throws IOException, InterruptedException {
        List<KernelCase> cases = cases(quick, groups);
        if (cases.isEmpty()) throw new IllegalArgumentException("no cases selected");
        double tgt = target != null ? target : quick ? 0.15 : 0.75;
        TorchKernels.Probe probe = noTorch ? new TorchKernels.Probe(null, "--no-torch") : TorchKernels.findPython(python);
        Path torchScript = null;
        String skipped = probe.found() ? null : probe.reason();
        if (probe.found()) {
            torchScript = TorchKernels.findScript(script);
            if (torchScript == null) skipped = "no " + TorchKernels.SCRIPT + " under -Dmmgp.home or the working directory (pass --script)";
        }
        if (skipped != null) System.err.println("torch peer skipped: " + skipped);
        List<KernelReport.ThreadRun> runs = new ArrayList<>();
        for (int t : threads) {
            System.err.printf("== %d thread%s ==%n", t, t == 1 ? "" : "s");
            String load = Machine.loadAverage("?");
            double peak = noPeak || quick || !CpuPeaks.available() ? Double.NaN : CpuPeaks.measure(t).fp32(); // own C kernels: the Java PeakFlops over-reports on AVX2 CPUs
            Map<String, List<GgmlKernels.Measurement>> ggml = new LinkedHashMap<>();
            Map<String, TorchKernels.CaseResult> torch = new LinkedHashMap<>();
            Map<String, String> caseLoad = new LinkedHashMap<>();
            Map<String, Object> torchEnv = null;
            String torchFailure = skipped;
            try (ComputeBackend backend = ComputeBackend.cpu(t)) {
                // Interleaved (default): each case's torch dtypes right after its ggml variants, one
                // script run per case, so both sides meet about the same load on a shared machine.
                for (KernelCase c : cases) {
                    caseLoad.put(c.name(), Machine.loadAverage("?"));
                    ggml.put(c.name(), measureGgml(backend, c, tgt));
                    if (interleave && torchFailure == null) {
                        try {
                            TorchKernels.Run r = TorchKernels.run(probe.python(), torchScript, List.of(c), t, tgt, maxCall, Duration.ofMinutes(30));
                            if (torchEnv == null) torchEnv = r.environment();
                            if (r.get(c.name()) != null) torch.put(c.name(), r.get(c.name()));
                        } catch (IOException e) {
                            torchFailure = e.getMessage();
                        }
                    }
                }
            }
            if (!interleave && torchFailure == null) {
                try {
                    TorchKernels.Run r = TorchKernels.run(probe.python(), torchScript, cases, t, tgt, maxCall, Duration.ofMinutes(60));
                    torchEnv = r.environment();
                    for (TorchKernels.CaseResult cr : r.cases()) torch.put(cr.name(), cr);
                } catch (IOException e) {
                    torchFailure = e.getMessage();
                }
            }
            load += " / " + Machine.loadAverage("?");
            String torchText = torchEnv != null ? new TorchKernels.Run(torchEnv, List.of()).describe() + " (" + probe.python().command() + ")"
                    : "torch peer skipped: " + torchFailure;
            if (torchEnv != null && torchFailure != null) torchText += "; torch peer stopped: " + torchFailure;
            List<KernelReport.Row> rows = new ArrayList<>();
            for (KernelCase c : cases) {
                TorchKernels.CaseResult tc = torch.get(c.name());
                rows.add(KernelReport.Row.of(c, ggml.get(c.name()), tc == null ? Map.of() : tc.dtypes(), caseLoad.get(c.name())));
            }
            runs.add(new KernelReport.ThreadRun(t, peak, torchText, torchEnv == null ? Map.of() : torchEnv, load, rows));
        }
        return new KernelReport(reportDate(),
                commandLine(), Machine.current(),
                NativeLibraries.get().directory().getFileName().toString(), runs, notes(interleave));
    }

    static List<String> notes(boolean interleaved) {
        return List.of(
                interleaved ? "Each case's torch dtypes ran right after its ggml variants (a fresh Python per case), so both sides met about the same load; "
                        + "the load column is the 1-minute load average when the case started (this run's own threads count in it)."
                        : "All ggml cases ran first, then all torch cases in one Python run; the load column is the 1-minute load average when the ggml side of the case started.",
                "Figures are GFLOP/s = FLOPs of one call ÷ median seconds per call (warm-up first; median of several samples, ~0.75 s of calls per figure). "
                        + "FLOPs: GEMM 2·m·n·k (m = tokens, nn.Linear(k → n)); conv 2·N·C_out·(out positions)·C_in·(kernel volume); attention 4·B·H·Tq·Tk·D (the two matmuls).",
                "ggml columns: GEMM weights F32 / F16 / Q8_0 placed by WeightSet as the models' are (extra buffer types included), activations F32; "
                        + "conv2d kernels F32 / F16 through Graph.conv2d (im2col in the kernel's type); conv3d F32 / F16 = Conv3d.apply under EXACT / FAST "
                        + "(time taps of 2-D convolutions, F32 / F16 patches), the 3-D im2col route (Graph.conv3d) in the notes; "
                        + "attention: the F32 column is Attention.multiHead (exact F32, what the models run), the F16 column ggml's flash attention with K/V cast to F16. "
                        + "Each call also copies the op's inputs into the graph (Graph.compute), a few per cent of the time at these sizes.",
                "torch columns: fp32 = aten (nn.Linear, F.conv2d/conv3d, matmul-softmax-matmul attention), whose GEMMs and attention matmuls call the BLAS named above and whose convs go through oneDNN; "
                        + "fp32 oneDNN = the nn.Linear converted with torch.utils.mkldnn (a oneDNN inner product); bf16 = tensors .to(torch.bfloat16); "
                        + "int8 = torch.ao.quantization.quantize_dynamic of the nn.Linear (weights int8, activations quantized on the fly, included).",
                "‡ = a torch dtype so slow here that one call of the full shape would exceed --max-call: measured on a reduced shape (fewer tokens/rows/queries, same weights); not counted as a best.");
    }

    /** Writes kernels.json and kernels.md into {@code dir}. */
    public static void write(KernelReport report, Path dir) throws IOException {
        Files.createDirectories(dir);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve(JSON_FILE).toFile(), report);
        Files.writeString(dir.resolve(MARKDOWN_FILE), KernelMarkdown.render(report));
    }

    /** Reads a report written by {@link #write}. */
    public static KernelReport read(Path dir) throws IOException {
        return new ObjectMapper().disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .readValue(dir.resolve(JSON_FILE).toFile(), KernelReport.class);
    }

    static Path defaultOut() {
        return Path.of(System.getProperty("mmgp.home", ".")).resolve("bench/results/kernels-" + LocalDate.now(ZoneOffset.UTC));
    }

    @Override
    public Integer call() throws Exception {
        if (render) {
            if (out == null) throw new IllegalArgumentException("--render needs --out DIR (a folder holding " + JSON_FILE + ")");
            String md = KernelMarkdown.render(read(out));
            Files.writeString(out.resolve(MARKDOWN_FILE), md);
            System.out.print(md);
            return 0;
        }
        KernelReport report = measure();
        for (KernelReport.ThreadRun run : report.runs()) System.out.print("\n" + KernelMarkdown.table(run));
        Path dir = out != null ? out : quick ? null : defaultOut();
        if (dir != null) {
            write(report, dir);
            System.out.println("\nwrote " + dir.resolve(JSON_FILE) + " and " + dir.resolve(MARKDOWN_FILE));
        }
        boolean ggmlOk = report.runs().stream().flatMap(r -> r.rows().stream()).flatMap(r -> r.ggml().stream()).allMatch(GgmlKernels.Measurement::ok);
        return ggmlOk ? 0 : 1;
    }
}
