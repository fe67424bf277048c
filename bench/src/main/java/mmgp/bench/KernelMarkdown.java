package mmgp.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import mmgp.bench.e2e.Machine;

/** Renders a {@link KernelReport} as Markdown: a header, then one table per thread count and its notes. */
public final class KernelMarkdown {
    /** torch dtypes in column order, with their headers. */
    private static final List<String> TORCH = List.of("fp32", "fp32_onednn", "bf16", "int8");
    private static final Map<String, String> TORCH_HEADER = Map.of("fp32", "torch fp32", "fp32_onednn", "torch fp32 oneDNN",
            "bf16", "torch bf16", "int8", "torch int8");

    private KernelMarkdown() {}

    public static String render(KernelReport r) {
        StringBuilder md = new StringBuilder();
        Machine m = r.machine();
        md.append("### Kernel peers: ggml (as mmgp runs it) and PyTorch, ").append(r.date()).append("\n\n");
        md.append(String.format(Locale.ROOT, "Machine: %s, %d cores, %.1f GiB RAM, %s; %s.%n", m.cpu(), m.cores(),
                m.memoryBytes() / (1024.0 * 1024 * 1024), m.os(), m.java()));
        md.append("Native build: ").append(r.nativeBuild()).append(".\n\n");
        md.append("Repeat with:\n\n```\n").append(r.command()).append("\n```\n\n");
        for (String note : r.notes()) md.append("- ").append(note).append("\n");
        for (KernelReport.ThreadRun run : r.runs()) md.append("\n").append(table(run));
        return md.toString();
    }

    /** One thread count: the table (GFLOP/s), then what it needs said (torch's set-up, reduced shapes, errors, extra routes). */
    public static String table(KernelReport.ThreadRun run) {
        StringBuilder md = new StringBuilder();
        md.append("#### ").append(run.threads()).append(run.threads() == 1 ? " thread" : " threads").append("\n\n");
        if (!Double.isNaN(run.peakGflops())) {
            md.append(String.format(Locale.ROOT, "Measured FP32 FMA peak (CpuPeaks, own C kernels) at %d thread%s: %.0f GFLOP/s. ", run.threads(),
                    run.threads() == 1 ? "" : "s", run.peakGflops()));
        }
        run.rows().stream().filter(r -> r.kind().startsWith("conv")).flatMap(r -> r.ggml().stream()).filter(GgmlKernels.Measurement::ok)
                .map(GgmlKernels.Measurement::note).filter(n -> n != null && n.contains("; im2col by ")).findFirst()
                .ifPresent(n -> md.append("Convolutions: ").append(n.substring(n.indexOf("; im2col by ") + 2)).append(". "));
        md.append("PyTorch: ").append(run.torch()).append(".");
        if (run.load() != null) md.append(" Load average (1 min; this run's own threads count too) before / after: ").append(run.load()).append(".");
        md.append("\n\n");
        md.append("| case | shape | GFLOP | ggml F32 | ggml F16 | ggml Q8_0 |");
        for (String d : TORCH) md.append(' ').append(TORCH_HEADER.get(d)).append(" |");
        md.append(" best mmgp ÷ best torch | load |\n|---|---|---:|---:|---:|---:|");
        for (int i = 0; i < TORCH.size(); i++) md.append("---:|");
        md.append("---|---:|\n");
        List<String> notes = new ArrayList<>();
        for (KernelReport.Row row : run.rows()) {
            boolean attention = row.kind().equals("attention");
            md.append("| ").append(row.name()).append(" | ").append(row.shape().replace("|", "\\|")).append(" | ")
                    .append(String.format(Locale.ROOT, "%.2f", row.gflop())).append(" | ");
            md.append(ggmlCell(row, attention ? GgmlKernels.EXACT : GgmlKernels.F32)).append(" | ");
            md.append(ggmlCell(row, attention ? GgmlKernels.FLASH : GgmlKernels.F16)).append(" | ");
            md.append(ggmlCell(row, GgmlKernels.Q8_0)).append(" | ");
            for (String d : TORCH) md.append(torchCell(row.torch().get(d))).append(" | ");
            md.append(Double.isNaN(row.ratio()) ? "—" : String.format(Locale.ROOT, "**%.2f** (%s ÷ %s)", row.ratio(), row.bestMmgpVariant(), row.bestTorchDtype()));
            md.append(" | ").append(row.load() == null ? "" : row.load()).append(" |\n");
            GgmlKernels.Measurement cast = row.ggml(GgmlKernels.F16_AS_F32);
            if (cast != null && cast.ok()) {
                notes.add(String.format(Locale.ROOT, "%s: F16 kernel cast to F32 in the graph (the aMUSEd VQ decoder's route): %s GFLOP/s.",
                        row.name(), gflops(cast.gflops())));
            }
            GgmlKernels.Measurement f32 = row.ggml(GgmlKernels.F32), f16 = row.ggml(GgmlKernels.F16);
            GgmlKernels.Measurement wino = row.ggml(GgmlKernels.WINOGRAD);
            if (wino != null && wino.ok()) {
                notes.add(String.format(Locale.ROOT, "%s: the Winograd route (FAST's default) %s GFLOP/s effective (the direct convolution's FLOPs over its time), %s× the F16 im2col column.",
                        row.name(), gflops(wino.gflops()), ratio(wino, f16)));
            }
            GgmlKernels.Measurement old32 = row.ggml(GgmlKernels.IM2COL3D_F32), old16 = row.ggml(GgmlKernels.IM2COL3D_F16);
            if (old32 != null && old32.ok() && old16 != null && old16.ok()) {
                notes.add(String.format(Locale.ROOT, "%s: the 3-D im2col route (Graph.conv3d) F32 %s, F16 %s GFLOP/s; the tap route (the F32/F16 columns) is %s× / %s× that.",
                        row.name(), gflops(old32.gflops()), gflops(old16.gflops()), ratio(f32, old32), ratio(f16, old16)));
            }
            for (GgmlKernels.Measurement m : row.ggml()) {
                if (!m.ok()) notes.add(row.name() + " ggml " + m.variant() + ": " + m.error());
            }
            for (Map.Entry<String, TorchKernels.Result> e : row.torch().entrySet()) {
                TorchKernels.Result t = e.getValue();
                if (t.error() != null) notes.add(row.name() + " torch " + e.getKey() + ": " + t.error());
                else if (t.reduced() != null) notes.add("‡ " + row.name() + " torch " + e.getKey() + ": " + t.note() + ".");
            }
        }
        if (!notes.isEmpty()) {
            md.append("\n");
            for (String n : notes) md.append("- ").append(n).append("\n");
        }
        return md.toString();
    }

    private static String ratio(GgmlKernels.Measurement a, GgmlKernels.Measurement b) {
        return a == null || !a.ok() ? "?" : String.format(Locale.ROOT, "%.2f", a.gflops() / b.gflops());
    }

    private static String ggmlCell(KernelReport.Row row, String variant) {
        GgmlKernels.Measurement m = row.ggml(variant);
        if (m == null) return "";
        return m.ok() ? gflops(m.gflops()) : "error";
    }

    private static String torchCell(TorchKernels.Result r) {
        if (r == null) return "";
        if (r.error() != null) return "n/a";
        return r.reduced() != null ? "≈" + gflops(r.gflops()) + " ‡" : gflops(r.gflops());
    }

    static String gflops(double g) {
        return g >= 100 ? String.format(Locale.ROOT, "%.0f", g) : String.format(Locale.ROOT, "%.1f", g);
    }
}
