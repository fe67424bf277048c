package mmgp.bench.e2e;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import mmgp.bench.BenchCommand;
import mmgp.bench.TorchKernels;
import mmgp.bindings.NativeLibraries;
import mmgp.tensor.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mmgp bench e2e}: every (model, weight type, thread count) configuration end to end on full-size
 * random weights, each in its own child JVM (warm-ups, then N measured runs), SmolVLM2 side by side
 * with llama-mtmd-cli, the PyTorch stage peer of aMUSEd and LTX (bench/python/torch_stages.py) at each
 * thread count when a Python with torch is there; per stage GFLOP/s against this CPU's measured peaks;
 * the goals judged; writes JSON, Markdown and a PNG chart.
 */
@Command(name = "mmgp bench e2e", mixinStandardHelpOptions = true, description = "End-to-end benchmark of the three models (JSON + Markdown + PNG).")
public final class BenchE2e extends BenchCommand {
    @Option(names = "--models", split = ",", defaultValue = "amused,ltx,smolvlm", description = "Models to run (default ${DEFAULT-VALUE}).")
    List<String> models;

    @Option(names = "--types", split = ",", defaultValue = "q8_0,f16", description = "Weight types (default ${DEFAULT-VALUE}).")
    List<String> types;

    @Option(names = "--threads", split = ",", description = "Thread counts (default 1..cores).")
    List<Integer> threads;

    @Option(names = "--runs", description = "Measured runs per configuration (default 3; 1 with --quick).")
    Integer runs;

    @Option(names = "--warmup", description = "Warm-up runs per configuration (default 1; 0 with --quick).")
    Integer warmup;

    @Option(names = "--out", defaultValue = "bench-results", description = "Output folder (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--weights", description = "Folder of the random-weight models, generated on first use (default ~/.cache/mmgp/bench).")
    Path weights;

    @Option(names = "--quick", description = "A short proof of the harness: 1 run, no warm-up, 2 aMUSEd steps, LTX 9×256×160 1 step, 16 SmolVLM tokens.")
    boolean quick;

    @Option(names = "--amused-steps", description = "aMUSEd steps (default 12).")
    Integer amusedSteps;

    @Option(names = "--ltx-frames", description = "LTX frames, 8n+1 (default 49).")
    Integer ltxFrames;

    @Option(names = "--ltx-size", description = "LTX WIDTHxHEIGHT, multiples of 32 (default 512x320).")
    String ltxSize;

    @Option(names = "--ltx-steps", description = "LTX steps, unguided (default 8).")
    Integer ltxSteps;

    @Option(names = "--smol-tokens", description = "Tokens SmolVLM2 generates per run (default 64).")
    Integer smolTokens;

    @Option(names = "--no-peers", description = "Skip llama-mtmd-cli and the PyTorch stage peer.")
    boolean noPeers;

    @Option(names = "--peer-cap", description = "Most seconds the PyTorch peer spends on one stage and dtype; a slower pass is "
            + "extrapolated from its part done (default 120; 20 with --quick).")
    Double peerCap;

    @Option(names = "--peer-full", description = "Run the PyTorch peer's full-size models even with --quick (a quick run's aMUSEd step and VQ decode, "
            + "and LTX's T5 encode, are full size, so they are then judged).")
    boolean peerFull;

    @Option(names = "--render", description = "Measure nothing: rewrite bench.md and bench.png of --out from its bench.json (goals judged anew).")
    boolean render;

    public BenchE2e() {
        super("e2e");
    }

    public static void main(String[] args) {
        main(new BenchE2e(), args);
    }

    @Override
    public Integer call() throws Exception {
        if (render) {
            BenchReport stored = ReportFiles.read(out);
            // The goals are judged again: a report of before a change of the goals shows the current ones.
            SideBySide sbs = stored.mtmdCli() != null ? stored.mtmdCli() : SideBySide.skipped("not recorded");
            BenchReport report = new BenchReport(stored.date(), stored.command(), stored.machine(), stored.nativeBuild(), stored.configurations(),
                    sbs, stored.torch(), Targets.evaluate(stored.configurations(), sbs, stored.torch()), stored.notes());
            ReportFiles.render(report, out);
            System.out.print(MarkdownReport.render(report, ReportFiles.CHART));
            return 0;
        }
        int cores = Runtime.getRuntime().availableProcessors();
        String loadStart = Machine.loadAverage("unknown");
        List<Integer> threadCounts = threads != null ? threads : java.util.stream.IntStream.rangeClosed(1, cores).boxed().toList();
        String[] size = (ltxSize != null ? ltxSize : quick ? "256x160" : "512x320").toLowerCase(Locale.ROOT).split("x");
        if (size.length != 2) throw new IllegalArgumentException("--ltx-size must be WIDTHxHEIGHT, got " + ltxSize);
        Path image = BenchImage.write(out.resolve("input-512.png"));
        WorkloadSettings base = new WorkloadSettings("amused", Path.of("."), "-", 1, or(warmup, quick ? 0 : 1), or(runs, quick ? 1 : 3),
                or(amusedSteps, quick ? 2 : 12), or(ltxFrames, quick ? 9 : 49), Integer.parseInt(size[0]), Integer.parseInt(size[1]),
                or(ltxSteps, quick ? 1 : 8), image, or(smolTokens, quick ? 16 : 64));
        BenchWeights files = new BenchWeights(weights != null ? weights : BenchWeights.defaultFolder());
        Path nativeDir = NativeLibraries.get().directory();

        List<ConfigurationResult> results = new ArrayList<>();
        SideBySide sideBySide = SideBySide.skipped(models.contains("smolvlm") ? "skipped: --no-peers" : "skipped: SmolVLM2 was not run");
        for (String model : models) {
            for (String typeName : types) {
                GgmlType type = GgmlType.valueOf(typeName.toUpperCase(Locale.ROOT));
                Path file = files.get(model, type);
                for (int t : threadCounts) {
                    WorkloadSettings s = base.withModel(model, file, type.name(), t);
                    System.err.printf("== %s %s, %d threads ==%n", model, type, t);
                    ConfigurationResult r = ChildRun.run(s);
                    if (!r.ok()) System.err.println("   failed: " + r.error());
                    results.add(r);
                }
            }
            if (model.equals("smolvlm") && !noPeers) sideBySide = mtmdPeer(results, nativeDir, base);
        }
        TorchPeer torch = torchPeer(models, threadCounts);
        List<String> notes = new ArrayList<>();
        if (quick) notes.add("--quick: one run of reduced sizes to prove the harness; the aMUSEd and LTX end-to-end goals are not judged at these sizes, "
                + (peerFull ? "the stages a quick run still runs at full size (aMUSEd step and VQ decode, T5 encode) are judged against the PyTorch "
                        + "peer's full-size models (--peer-full)" : "the PyTorch peer runs reduced models (nothing is judged against it)")
                + ", and the SmolVLM2 decode rate over a few tokens is noisy.");
        notes.add("Load average (1 min) at the start " + loadStart + ", at the end " + Machine.loadAverage("unknown") + " on " + cores
                + " cores: other processes on the machine slow every figure, mmgp's and the peers' alike.");
        BenchReport report = new BenchReport(reportDate(),
                commandLine(), Machine.current(), nativeDir.getFileName().toString(), results, sideBySide,
                torch, Targets.evaluate(results, sideBySide, torch), notes);
        ReportFiles.write(report, out);
        System.out.print(MarkdownReport.render(report, ReportFiles.CHART));
        System.out.println("\nwrote " + out.resolve(ReportFiles.JSON) + ", " + out.resolve(ReportFiles.MARKDOWN) + ", " + out.resolve(ReportFiles.CHART));
        return results.stream().allMatch(ConfigurationResult::ok) ? 0 : 1;
    }

    /**
     * llama-mtmd-cli on the same files as the SmolVLM configuration the targets use (Q8_0, 2 threads if run),
     * as many runs as mmgp's measured runs, median figures.
     */
    private static SideBySide mtmdPeer(List<ConfigurationResult> results, Path nativeDir, WorkloadSettings base) throws Exception {
        var ref = Targets.reference(results, "smolvlm")
                .or(() -> results.stream().filter(r -> r.ok() && r.settings().model().equals("smolvlm")).findFirst());
        if (ref.isEmpty()) return SideBySide.skipped("skipped: no successful SmolVLM2 run to compare with");
        Path bin = MtmdCliPeer.binary(nativeDir);
        if (bin == null) return SideBySide.skipped("skipped: no llama-mtmd-cli in " + nativeDir.resolve("bin"));
        WorkloadSettings s = ref.get().settings();
        System.err.printf("== llama-mtmd-cli %s, %d threads, %s ==%n", s.type(), s.threads(), Plural.of(s.runs(), "run"));
        MtmdCliPeer.Outcome o = MtmdCliPeer.runMedian(bin, s.file(), base.image(), s.smolTokens(), s.threads(), s.runs());
        System.err.println("   " + (o.figures() != null ? MtmdCliPeer.describe(o.figures()) : o.skipped()));
        return SideBySide.of(ref.get(), o);
    }

    /** The PyTorch stage peer at each thread count, after the mmgp runs (so neither competes with the other), or why it was skipped. */
    private TorchPeer torchPeer(List<String> models, List<Integer> threadCounts) {
        List<String> stages = PythonPeer.stagesFor(models);
        if (stages.isEmpty()) return TorchPeer.skipped("skipped: neither aMUSEd nor LTX was run");
        if (noPeers) return TorchPeer.skipped("skipped: --no-peers");
        TorchKernels.Probe probe = PythonPeer.detect();
        if (probe.python() == null) return TorchPeer.skipped("skipped: " + probe.reason());
        java.nio.file.Path script = PythonPeer.script();
        if (script == null) return TorchPeer.skipped("skipped: " + PythonPeer.SCRIPT + " not found (run through ./mmgp, which sets -Dmmgp.home)");
        double cap = peerCap != null ? peerCap : quick && !peerFull ? 20 : 120;
        List<TorchStages> runs = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (int t : threadCounts) {
            System.err.printf("== PyTorch stage peer (%s), %d threads, stages %s ==%n", probe.python().command(), t, String.join(",", stages));
            try {
                runs.add(PythonPeer.run(probe.python(), script, stages, t, quick && !peerFull, cap));
            } catch (Exception e) {
                System.err.println("   failed: " + e.getMessage());
                failures.add(t + " threads: " + e.getMessage());
            }
        }
        return new TorchPeer(null, probe.python().command() + " (torch " + probe.python().torchVersion() + ")", runs, failures);
    }

    private static int or(Integer v, int fallback) {
        return v != null ? v : fallback;
    }
}
