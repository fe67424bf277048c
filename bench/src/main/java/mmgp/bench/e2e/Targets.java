package mmgp.bench.e2e;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The goals of issues 12 and 13, checked against this run (Q8_0, 2 threads when run):
 * <ul>
 *   <li>each heavy stage ≥ 1.5× as fast as the PyTorch stage peer in bf16 measured in the same run
 *       (the ratio against torch's faster dtype is shown too);</li>
 *   <li>aMUSEd-256 and LTX end to end and peak RSS under absolute limits — set on an AMD Zen 5 with
 *       2 cores, so on another CPU they are a reference, labelled as such;</li>
 *   <li>SmolVLM2 at least as fast as llama-mtmd-cli per tile, in prefill and in decode;</li>
 *   <li>2 threads ≥ 1.8× one thread on every stage, judged when both thread counts ran.</li>
 * </ul>
 * A figure is only judged when it was measured at the size its goal is stated for; a reduced run
 * (--quick, fewer frames) says so instead of claiming "met".
 */
public final class Targets {
    private Targets() {}

    enum Kind { SECONDS_AT_MOST, BYTES_AT_MOST, PEER_RATIO, MTMD_RATIO, THREAD_SCALING }

    /**
     * One goal: a model's metric (or its peak RSS) against a limit.
     *
     * @param metric for MTMD_RATIO the {@link SideBySide} row's figure prefix
     */
    record Target(String figure, String model, String metric, Kind kind, double limit, String limitNote) {}

    /** One row of the targets table. */
    public record Row(String figure, String configuration, String measured, String target, String peer, String status) {}

    static final String PEAK_RSS = "peak RSS";
    static final double PEER_SPEEDUP = 1.5, MTMD_SPEEDUP = 1.0, THREAD_SCALING = 1.8;
    static final String ZEN5 = "goal set on an AMD Zen 5, 2 cores";
    private static final double GIB = 1024.0 * 1024 * 1024;

    static final List<Target> ALL = List.of(
            new Target("aMUSEd UViT step (CFG pair, 256²)", "amused", AmusedWorkload.STEP, Kind.PEER_RATIO, PEER_SPEEDUP, null),
            new Target("T5-XXL encode, 128 tokens", "ltx", LtxWorkload.ENCODE, Kind.PEER_RATIO, PEER_SPEEDUP, null),
            new Target("LTX 2B DiT step, 512×320×49, batch 1", "ltx", LtxWorkload.STEP, Kind.PEER_RATIO, PEER_SPEEDUP, null),
            new Target("aMUSEd VQ decode 256²", "amused", AmusedWorkload.DECODE, Kind.PEER_RATIO, PEER_SPEEDUP, null),
            new Target("LTX VAE decode 49×320×512", "ltx", LtxWorkload.DECODE, Kind.PEER_RATIO, PEER_SPEEDUP, null),
            new Target("aMUSEd-256 end to end, 12 steps, CFG, 256²", "amused", "total", Kind.SECONDS_AT_MOST, 7, ZEN5),
            new Target("aMUSEd-256 peak RSS", "amused", PEAK_RSS, Kind.BYTES_AT_MOST, 1.5 * GIB, null),
            new Target("LTX 8 steps unguided 512×320×49, end to end", "ltx", "total", Kind.SECONDS_AT_MOST, 75, ZEN5),
            new Target("LTX peak RSS (whole run)", "ltx", PEAK_RSS, Kind.BYTES_AT_MOST, 6 * GIB, null),
            new Target("SmolVLM2 vision encode per tile vs llama-mtmd-cli", "smolvlm", "vision encode", Kind.MTMD_RATIO, MTMD_SPEEDUP, null),
            new Target("SmolVLM2 LLM prefill vs llama-mtmd-cli", "smolvlm", "LLM prefill", Kind.MTMD_RATIO, MTMD_SPEEDUP, null),
            new Target("SmolVLM2 decode vs llama-mtmd-cli", "smolvlm", "decode", Kind.MTMD_RATIO, MTMD_SPEEDUP, null));

    /** The configuration the targets speak of: Q8_0 at 2 threads, else Q8_0 at the most threads run. */
    static Optional<ConfigurationResult> reference(List<ConfigurationResult> results, String model) {
        List<ConfigurationResult> q8 = q8(results, model);
        return q8.stream().filter(r -> r.settings().threads() == 2).findFirst()
                .or(() -> q8.stream().max(Comparator.comparingInt(r -> r.settings().threads())));
    }

    private static List<ConfigurationResult> q8(List<ConfigurationResult> results, String model) {
        return results.stream().filter(ConfigurationResult::ok)
                .filter(r -> r.settings().model().equals(model) && r.settings().type().equalsIgnoreCase("Q8_0")).toList();
    }

    /** True when the configuration ran at the size the end-to-end goals are stated for. */
    static boolean fullSize(ConfigurationResult r) {
        WorkloadSettings s = r.settings();
        return switch (s.model()) {
            case "amused" -> s.amusedSteps() == 12;
            case "ltx" -> s.ltxFrames() == 49 && s.ltxWidth() == 512 && s.ltxHeight() == 320;
            default -> true;
        };
    }

    /**
     * @param mtmd  the SmolVLM2 side by side with llama-mtmd-cli (its rows' speed ratios), or a skipped one
     * @param torch the PyTorch stage peer of this run, or null / skipped
     */
    public static List<Row> evaluate(List<ConfigurationResult> results, SideBySide mtmd, TorchPeer torch) {
        List<Row> rows = new ArrayList<>();
        for (Target t : ALL) {
            Optional<ConfigurationResult> ref = reference(results, t.model());
            String target = limitText(t);
            if (ref.isEmpty()) {
                rows.add(new Row(t.figure(), "—", "—", target, "—", "not measured (no Q8_0 run of " + t.model() + ")"));
                continue;
            }
            ConfigurationResult r = ref.get();
            rows.add(switch (t.kind()) {
                case PEER_RATIO -> peerRow(t, r, torch, target);
                case MTMD_RATIO -> mtmdRow(t, r, mtmd, target);
                default -> absoluteRow(t, r, target);
            });
        }
        for (String model : List.of("amused", "ltx", "smolvlm")) rows.addAll(scalingRows(results, model));
        return rows;
    }

    private static Row peerRow(Target t, ConfigurationResult r, TorchPeer torch, String target) {
        double mmgp = r.median(t.metric());
        String measured = seconds(mmgp);
        if (PeerRatios.peerStage(t.model(), t.metric()) == null) {
            return new Row(t.figure(), r.label(), measured, target, "—", "not judged: no peer");
        }
        if (torch == null || torch.skipped() != null) {
            return new Row(t.figure(), r.label(), measured, target, "—", "not judged: PyTorch peer " + (torch == null ? "not run" : torch.skipped()));
        }
        PeerRatios p = PeerRatios.of(r, t.metric(), torch);
        if (p == null) {
            int threads = r.settings().threads();
            // A run without the stage: a bench.json recorded before the stage had a peer, re-rendered.
            String why = torch.at(threads) == null ? "no PyTorch run at " + Plural.of(threads, "thread")
                    : "the PyTorch peer run has no '" + PeerRatios.peerStage(t.model(), t.metric()) + "' stage";
            return new Row(t.figure(), r.label(), measured, target, "—", "not judged: " + why);
        }
        String peer = "torch bf16 " + describe(p.bf16()) + ", fp32 " + describe(p.fp32());
        measured += " → " + PeerRatios.ratio(p.vsBf16()) + " bf16, " + PeerRatios.ratio(p.vsBest()) + " best"
                + (p.bestDtype() != null ? " (" + p.bestDtype() + ")" : "");
        String status;
        if (Double.isNaN(mmgp)) status = "not measured";
        else if (!p.comparable()) status = "not judged (" + p.why() + ")";
        else if (Double.isNaN(p.vsBf16())) status = "not judged: torch bf16 " + (p.bf16() == null ? "not run" : describe(p.bf16()));
        else {
            status = p.vsBf16() >= t.limit() ? "met" : "not met";
            if (p.bf16().estimated()) status += " (torch bf16 extrapolated from a capped pass)";
        }
        return new Row(t.figure(), r.label(), measured, target, peer, status);
    }

    private static String describe(TorchStages.Result r) {
        return r == null ? "—" : r.describe();
    }

    private static Row mtmdRow(Target t, ConfigurationResult r, SideBySide mtmd, String target) {
        if (mtmd == null || mtmd.skipped() != null) {
            return new Row(t.figure(), r.label(), "—", target, "—", "not judged: llama-mtmd-cli " + (mtmd == null ? "not run" : mtmd.skipped()));
        }
        SideBySide.Row row = mtmd.rows().stream().filter(x -> x.figure().startsWith(t.metric())).findFirst().orElse(null);
        if (row == null || Double.isNaN(row.speedRatio())) return new Row(t.figure(), mtmd.configuration(), "—", target, "—", "not measured");
        String status = row.speedRatio() >= t.limit() ? "met" : "not met";
        return new Row(t.figure(), mtmd.configuration(), row.mmgp() + " → " + PeerRatios.ratio(row.speedRatio()), target, "llama-mtmd-cli " + row.peer(),
                status);
    }

    private static Row absoluteRow(Target t, ConfigurationResult r, String target) {
        double value;
        String note = "";
        if (t.metric().equals(PEAK_RSS)) {
            value = r.peakRssBytes() > 0 ? r.peakRssBytes() : Double.NaN;
        } else if (t.model().equals("ltx") && t.metric().equals("total") && r.settings().ltxSteps() != 8) {
            // Fewer steps were run: the 8-step total follows from the measured stages.
            value = r.median(LtxWorkload.ENCODE) + 8 * r.median(LtxWorkload.STEP) + r.median(LtxWorkload.DECODE);
            note = " (derived: encode + 8 × step + decode)";
        } else {
            value = r.median(t.metric());
        }
        String status;
        if (Double.isNaN(value)) status = "not measured";
        else if (!fullSize(r)) status = "not judged (smaller size: " + r.sizeLabel() + ")";
        else status = (met(t, value) ? "met" : "not met") + (t.limitNote() != null ? " (against the Zen 5 goal)" : "");
        return new Row(t.figure(), r.label(), format(t.kind(), value) + note, target, "—", status);
    }

    /** 2 threads against 1 on every stage of the model's Q8_0 runs; one "not measured" row when either is missing. */
    static List<Row> scalingRows(List<ConfigurationResult> results, String model) {
        List<ConfigurationResult> q8 = q8(results, model);
        Optional<ConfigurationResult> one = q8.stream().filter(r -> r.settings().threads() == 1).findFirst();
        Optional<ConfigurationResult> two = q8.stream().filter(r -> r.settings().threads() == 2).findFirst();
        String target = String.format(Locale.ROOT, "≥ %.1f× one thread", THREAD_SCALING);
        String figure = title(model) + ": 2 threads vs 1";
        if (one.isEmpty() || two.isEmpty()) {
            String status = q8.isEmpty() ? "not measured (no Q8_0 run of " + model + ")" : "not measured (needs Q8_0 runs at 1 and 2 threads)";
            return List.of(new Row(figure, "—", "—", target, "—", status));
        }
        List<Row> rows = new ArrayList<>();
        for (String metric : two.get().stats().keySet()) {
            if (metric.equals("total") || metric.equals("time to first token") || !one.get().stats().containsKey(metric)) continue;
            double a = one.get().median(metric), b = two.get().median(metric);
            double ratio = Workload.isRate(metric) ? b / a : a / b;
            String status;
            if (Double.isNaN(ratio)) status = "not measured";
            else if (!PeerRatios.stageFullSize(two.get(), metric)) status = "not judged (smaller size: " + two.get().sizeLabel() + ")";
            else status = ratio >= THREAD_SCALING ? "met" : "not met";
            rows.add(new Row(title(model) + " " + metric + ": 2 threads vs 1", "Q8_0, 1 and 2 threads",
                    PeerRatios.ratio(ratio) + " (" + value(metric, a) + " → " + value(metric, b) + ")", target, "—", status));
        }
        return rows;
    }

    static String title(String model) {
        return switch (model) {
            case "amused" -> "aMUSEd";
            case "ltx" -> "LTX";
            case "smolvlm" -> "SmolVLM2";
            default -> model;
        };
    }

    static String value(String metric, double v) {
        return Workload.isRate(metric) ? String.format(Locale.ROOT, "%.1f tok/s", v) : seconds(v);
    }

    static boolean met(Target t, double v) {
        return switch (t.kind()) {
            case SECONDS_AT_MOST, BYTES_AT_MOST -> v <= t.limit();
            default -> v >= t.limit();
        };
    }

    private static String limitText(Target t) {
        String s = switch (t.kind()) {
            case SECONDS_AT_MOST, BYTES_AT_MOST -> "≤ " + format(t.kind(), t.limit());
            case PEER_RATIO -> String.format(Locale.ROOT, "≥ %.1f× PyTorch bf16", t.limit());
            case MTMD_RATIO -> String.format(Locale.ROOT, "≥ %.1f× llama-mtmd-cli", t.limit());
            case THREAD_SCALING -> String.format(Locale.ROOT, "≥ %.1f× one thread", t.limit());
        };
        return t.limitNote() != null ? s + " (" + t.limitNote() + ")" : s;
    }

    static String format(Kind kind, double v) {
        if (Double.isNaN(v)) return "—";
        return switch (kind) {
            case SECONDS_AT_MOST -> seconds(v);
            case BYTES_AT_MOST -> String.format(Locale.ROOT, "%.2f GiB", v / GIB);
            default -> PeerRatios.ratio(v);
        };
    }

    /** Seconds with three significant figures ("0.412 s", "41.2 s", "412 s"). */
    static String seconds(double v) {
        if (Double.isNaN(v)) return "—";
        if (v < 1) return String.format(Locale.ROOT, "%.3f s", v);
        if (v < 100) return String.format(Locale.ROOT, "%.1f s", v);
        return String.format(Locale.ROOT, "%.0f s", v);
    }
}
