package mmgp.bench.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders a {@link BenchReport} as the Markdown that goes into the README's Performance section. */
public final class MarkdownReport {
    private MarkdownReport() {}

    public static String render(BenchReport r, String chartFileName) {
        StringBuilder md = new StringBuilder();
        Machine m = r.machine();
        md.append("### Benchmark run of ").append(r.date()).append("\n\n");
        md.append(String.format(Locale.ROOT, "Machine: %s, %d cores, %.1f GiB RAM, %s; %s.%n", m.cpu(), m.cores(),
                m.memoryBytes() / (1024.0 * 1024 * 1024), m.os(), m.java()));
        md.append("Native build: ").append(r.nativeBuild()).append(".\n");
        md.append("Weights: random, with the exact shapes of the real checkpoints (`mmgp random-weights`).\n\n");
        md.append("Repeat with:\n\n```\n").append(r.command()).append("\n```\n\n");
        for (String note : r.notes()) md.append("> ").append(note).append("\n>\n");
        if (!r.notes().isEmpty()) md.setLength(md.length() - 2);
        md.append("\n");

        md.append("#### Targets\n\n");
        md.append("| Figure | Configuration | Measured | Target | Peer | Status |\n|---|---|---|---|---|---|\n");
        for (Targets.Row t : r.targets()) {
            md.append(row(t.figure(), t.configuration(), t.measured(), t.target(), t.peer(), t.status()));
        }

        md.append("\n#### Stage times (median of the measured runs; spread = (max − min) / median)\n\n");
        md.append("GFLOP/s = the stage's FLOPs (matmuls, convolutions, attention; 2 per multiply-add, counted from the graphs mmgp ran) ÷ its median "
                + "time, as a share of this CPU's measured peak for the data type of the stage's weights (Q8_0 → INT8, BF16 → BF16, F16/F32 → FP32) "
                + "on the instructions its matmuls run, named in the cell: the vector units' (FP32 FMA, BF16 dot, INT8 dot), AMX INT8 only where "
                + "the quantized weights sit in ggml's AMX buffer type (-Dmmgp.extraBuffers=on), never AMX BF16 (ggml has no AMX BF16 matmul); "
                + "the AMX peaks under the table are the hardware's ceiling. "
                + "PyTorch: the stage peer at the same thread count; speed-up = PyTorch seconds ÷ mmgp seconds (above 1: mmgp faster), against bf16 and "
                + "against torch's faster dtype.\n\n");
        md.append("| Model | Configuration | Size | Stage | Median | Min – max | Spread | GFLOP/s | PyTorch fp32 / bf16 | Speed-up vs bf16 / best | Peak RSS | Load |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        List<String> footnotes = new ArrayList<>();
        for (ConfigurationResult c : r.configurations()) {
            if (!c.ok()) {
                md.append(row(c.settings().model(), c.label(), "—", "failed: " + c.error(), "", "", "", "", "", "", "", ""));
                continue;
            }
            boolean first = true;
            for (Map.Entry<String, StageStats> e : c.stats().entrySet()) {
                StageStats s = e.getValue();
                StageRate rate = c.rate(e.getKey());
                PeerRatios peer = PeerRatios.of(c, e.getKey(), r.torch());
                if (peer != null && !peer.comparable() && !footnotes.contains(peer.why())) footnotes.add(peer.why());
                md.append(row(first ? c.settings().model() : "", first ? c.label() : "", first ? c.sizeLabel() + ", " + Plural.of(s.runs(), "run") : "",
                        e.getKey(), value(e.getKey(), s.median()), value(e.getKey(), s.min()) + " – " + value(e.getKey(), s.max()),
                        String.format(Locale.ROOT, "%.0f%%", 100 * s.spread()), rate == null ? "—" : rate.describe(),
                        peer == null ? "—" : describe(peer.fp32()) + " / " + describe(peer.bf16()), peer == null ? "—" : peer.describe(),
                        first ? SideBySide.gib(c.peakRssBytes()) : "", first ? Targets.seconds(c.loadSeconds()) : ""));
                first = false;
            }
        }
        for (String f : footnotes) md.append("\n¹ not comparable, not judged: ").append(f).append(".\n");
        md.append(throughputNotes(r));
        md.append("\n#### SmolVLM2 side by side with llama-mtmd-cli\n\n");
        SideBySide sbs = r.mtmdCli();
        if (sbs.skipped() != null) {
            md.append(sbs.skipped()).append("\n");
        } else {
            md.append("Same GGUFs, image, prompt, greedy decoding and thread count (").append(sbs.configuration())
                    .append("); each side's figures are the medians of as many runs, the CLI's run after mmgp's. Both count the same work: the vision ")
                    .append("encoder per tile (mmgp: each tile's transfer to libmtmd included), the LLM's prompt decode, and decode steps (mmgp: its ")
                    .append("sampling and streaming included, tens of microseconds a token; the CLI's eval time excludes its own sampling). ")
                    .append("Speed ratio = how many times faster mmgp is (above 1: mmgp ahead).\n\n");
            md.append("| Figure | mmgp | llama-mtmd-cli | Speed ratio |\n|---|---|---|---|\n");
            for (SideBySide.Row row : sbs.rows()) {
                md.append(row(row.figure(), row.mmgp(), row.peer(), Double.isNaN(row.speedRatio()) ? "—"
                        : String.format(Locale.ROOT, "%.2f", row.speedRatio())));
            }
            md.append("\nPeer command: `").append(sbs.peerCommand()).append("`\n");
        }

        md.append(torchSection(r));
        if (chartFileName != null) md.append("\n![Stage times](").append(chartFileName).append(")\n");
        return md.toString();
    }

    /** Per configuration: the peaks its percentages are of, and what a stage's FLOPs figure rests on when it is not plain. */
    static String throughputNotes(BenchReport r) {
        StringBuilder md = new StringBuilder("\n");
        for (ConfigurationResult c : r.configurations()) {
            if (!c.ok() || (c.peaks() == null && c.rates().isEmpty())) continue;
            md.append("- ").append(c.settings().model()).append(" ").append(c.label()).append(": peaks ")
                    .append(c.peaks() == null ? "not measured" : c.peaks().describe());
            List<String> notes = new ArrayList<>();
            for (StageRate s : c.rates()) {
                List<String> parts = new ArrayList<>();
                if (!Double.isNaN(s.gflop())) parts.add(String.format(Locale.ROOT, "%.1f GFLOP%s", s.gflop(), Workload.isRate(s.stage()) ? " per token"
                        : s.stage().endsWith("step") ? " per step" : s.stage().endsWith("tile") ? " per tile" : ""));
                if (!Double.isNaN(s.graphGflops())) parts.add(String.format(Locale.ROOT, "%.0f GFLOP/s in ggml's compute alone", s.graphGflops()));
                if (s.weightType() != null) parts.add(s.weightType() + " weights");
                if (s.labels().size() == 1 && s.labels().get(0).startsWith("estimate")) parts.add(s.labels().get(0));
                if (s.note() != null) parts.add(s.note());
                if (!parts.isEmpty()) notes.add(s.stage() + ": " + String.join(", ", parts));
            }
            if (!notes.isEmpty()) md.append("; ").append(String.join("; ", notes));
            md.append(".\n");
        }
        return md.toString();
    }

    /** The PyTorch stage peer: what it ran on, its FLOPs next to mmgp's for the same stage, its times. */
    static String torchSection(BenchReport r) {
        StringBuilder md = new StringBuilder("\n#### PyTorch stage peer (`" + PythonPeer.SCRIPT + "`)\n\n");
        TorchPeer t = r.torch();
        if (t == null) return md.append("not run\n").toString();
        if (t.skipped() != null) return md.append(t.skipped()).append("\n").toString();
        md.append("Plain torch.nn models with the real architectures' shapes and random weights (diffusers/transformers are not needed), "
                + "fp32 and bf16, median of the timed passes. Stage GFLOP counted by the same rule as mmgp's; they should agree within ~5% "
                + "at full size, except where mmgp's route does fewer products than the direct computation (the Winograd convolutions "
                + "of the VQ and VAE decodes: mmgp counts the products it does, so compare their seconds).\n\n");
        for (TorchStages run : t.runs()) {
            md.append(String.format(Locale.ROOT, "%s: torch %s (%s), BLAS for fp32: %s, CPU capability %s, bf16 %s, cap %.0f s per stage and dtype%s.%n%n",
                    Plural.of(run.threads(), "thread"), run.torch(), run.python(), run.blas(), run.cpuCapability(), run.bf16(), run.capSeconds(),
                    run.quick() ? ", --quick (reduced models: not comparable with mmgp)" : ""));
            if (run.blasNote() != null) md.append("> ").append(run.blasNote()).append("\n\n");
            md.append("| Stage | GFLOP (PyTorch) | GFLOP (mmgp) | Δ | fp32 | bf16 | Notes |\n|---|---|---|---|---|---|---|\n");
            for (TorchStages.Stage s : run.stages()) {
                double mine = mmgpGflop(r.configurations(), s.key(), run.threads());
                String delta = Double.isNaN(mine) || run.quick() ? "—" : String.format(Locale.ROOT, "%+.1f%%", 100 * (mine - s.gflop()) / s.gflop());
                List<String> notes = new ArrayList<>();
                if (s.layersTimed() > 0 && s.layersTimed() < s.layers()) notes.add(s.layersTimed() + " of " + s.layers() + " layers timed (memory), scaled by FLOPs");
                for (var e : s.results().entrySet()) if (e.getValue().note() != null) notes.add(e.getKey() + ": " + e.getValue().note());
                md.append(row(s.label(), String.format(Locale.ROOT, "%.1f", s.gflop()), Double.isNaN(mine) ? "—" : String.format(Locale.ROOT, "%.1f", mine),
                        delta, withRate(s.result("fp32")), withRate(s.result("bf16")), String.join("; ", notes)));
            }
            md.append("\n");
        }
        for (String f : t.failures()) md.append("- failed: ").append(f).append("\n");
        return md.toString();
    }

    /** mmgp's GFLOP for the peer stage {@code key} (the same at any thread count; the targets' Q8_0 at these threads first). */
    private static double mmgpGflop(List<ConfigurationResult> configs, String key, int threads) {
        List<ConfigurationResult> ok = configs.stream().filter(ConfigurationResult::ok)
                .sorted(java.util.Comparator.comparing((ConfigurationResult c) -> !c.settings().type().equalsIgnoreCase("Q8_0"))
                        .thenComparing(c -> c.settings().threads() != threads)).toList();
        for (ConfigurationResult c : ok) {
            for (StageRate s : c.rates()) {
                if (key.equals(PeerRatios.peerStage(c.settings().model(), s.stage())) && PeerRatios.stageFullSize(c, s.stage()) && !Double.isNaN(s.gflop())) {
                    return s.gflop();
                }
            }
        }
        return Double.NaN;
    }

    private static String withRate(TorchStages.Result res) {
        if (res == null) return "—";
        String s = res.describe();
        return res.ok() && !Double.isNaN(res.gflops()) ? s + String.format(Locale.ROOT, res.gflops() < 10 ? ", %.2f GFLOP/s" : ", %.0f GFLOP/s", res.gflops()) : s;
    }

    private static String describe(TorchStages.Result res) {
        return res == null ? "—" : res.describe();
    }

    private static String value(String metric, double v) {
        return Workload.isRate(metric) ? String.format(Locale.ROOT, "%.1f tok/s", v) : Targets.seconds(v);
    }

    private static String row(String... cells) {
        StringBuilder sb = new StringBuilder("|");
        for (String c : cells) sb.append(' ').append(c.replace("|", "\\|")).append(" |");
        return sb.append('\n').toString();
    }
}
