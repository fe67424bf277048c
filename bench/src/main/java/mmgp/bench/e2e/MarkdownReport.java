package mmgp.bench.e2e;

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
        md.append("| Model | Configuration | Size | Stage | Median | Min – max | Spread | Peak RSS | Load |\n|---|---|---|---|---|---|---|---|---|\n");
        for (ConfigurationResult c : r.configurations()) {
            if (!c.ok()) {
                md.append(row(c.settings().model(), c.label(), "—", "failed: " + c.error(), "", "", "", "", ""));
                continue;
            }
            boolean first = true;
            for (Map.Entry<String, StageStats> e : c.stats().entrySet()) {
                StageStats s = e.getValue();
                md.append(row(first ? c.settings().model() : "", first ? c.label() : "", first ? c.sizeLabel() + ", " + Plural.of(s.runs(), "run") : "",
                        e.getKey(), value(e.getKey(), s.median()), value(e.getKey(), s.min()) + " – " + value(e.getKey(), s.max()),
                        String.format(Locale.ROOT, "%.0f%%", 100 * s.spread()), first ? SideBySide.gib(c.peakRssBytes()) : "",
                        first ? Targets.seconds(c.loadSeconds()) : ""));
                first = false;
            }
        }

        md.append("\n#### SmolVLM2 side by side with llama-mtmd-cli\n\n");
        SideBySide sbs = r.mtmdCli();
        if (sbs.skipped() != null) {
            md.append(sbs.skipped()).append("\n");
        } else {
            md.append("Same GGUFs, image, prompt, greedy decoding and thread count (").append(sbs.configuration())
                    .append("). Speed ratio = how many times faster mmgp is (above 1: mmgp ahead).\n\n");
            md.append("| Figure | mmgp | llama-mtmd-cli | Speed ratio |\n|---|---|---|---|\n");
            for (SideBySide.Row row : sbs.rows()) {
                md.append(row(row.figure(), row.mmgp(), row.peer(), Double.isNaN(row.speedRatio()) ? "—"
                        : String.format(Locale.ROOT, "%.2f", row.speedRatio())));
            }
            md.append("\nPeer command: `").append(sbs.peerCommand()).append("`\n");
        }

        md.append("\n#### diffusers / PyTorch peers\n\n");
        for (String p : r.pythonPeers()) md.append("- ").append(p).append("\n");
        if (chartFileName != null) md.append("\n![Stage times](").append(chartFileName).append(")\n");
        return md.toString();
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
