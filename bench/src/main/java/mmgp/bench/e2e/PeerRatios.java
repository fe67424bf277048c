package mmgp.bench.e2e;

import java.util.Locale;

/**
 * An mmgp stage next to its PyTorch stage peer at the same thread count: the peer's fp32 and bf16
 * seconds and the speed ratios peer seconds ÷ mmgp seconds (above 1: mmgp faster) against bf16 and
 * against the faster of fp32/bf16. {@code comparable} is false when either side ran a reduced size
 * ({@code why} says which), so the ratio is shown but not judged.
 */
public record PeerRatios(String metric, String peerStage, double mmgpSeconds, TorchStages.Result fp32, TorchStages.Result bf16,
                         double vsBf16, double vsBest, String bestDtype, boolean comparable, String why) {

    /** The torch_stages.py stage standing for an mmgp stage; null when there is none. */
    static String peerStage(String model, String metric) {
        return switch (model + "/" + metric) {
            case "amused/" + AmusedWorkload.STEP -> "amused";
            case "amused/" + AmusedWorkload.DECODE -> "vq";
            case "ltx/" + LtxWorkload.ENCODE -> "t5";
            case "ltx/" + LtxWorkload.STEP -> "ltx";
            case "ltx/" + LtxWorkload.DECODE -> "ltx_vae";
            default -> null;
        };
    }

    /** True when mmgp ran this stage at the size its peer and target are stated for (a quick run's aMUSEd step still is). */
    static boolean stageFullSize(ConfigurationResult r, String metric) {
        WorkloadSettings s = r.settings();
        return switch (s.model()) {
            case "ltx" -> metric.equals(LtxWorkload.ENCODE) || (s.ltxFrames() == 49 && s.ltxWidth() == 512 && s.ltxHeight() == 320);
            case "amused" -> !metric.equals("total") || s.amusedSteps() == 12;
            default -> true;
        };
    }

    /** The comparison, or null when the stage has no peer or the peer has no run at this thread count. */
    static PeerRatios of(ConfigurationResult r, String metric, TorchPeer torch) {
        String key = peerStage(r.settings().model(), metric);
        if (key == null || torch == null) return null;
        TorchStages run = torch.at(r.settings().threads());
        if (run == null) return null;
        TorchStages.Stage stage = run.stage(key);
        if (stage == null) return null;
        double mmgp = r.median(metric);
        TorchStages.Result fp32 = stage.result("fp32"), bf16 = stage.result("bf16");
        double vsBf16 = bf16 != null && bf16.ok() ? bf16.seconds() / mmgp : Double.NaN;
        double vsFp32 = fp32 != null && fp32.ok() ? fp32.seconds() / mmgp : Double.NaN;
        String best = Double.isNaN(vsFp32) ? (Double.isNaN(vsBf16) ? null : "bf16")
                : Double.isNaN(vsBf16) || vsFp32 <= vsBf16 ? "fp32" : "bf16";
        double vsBest = best == null ? Double.NaN : Math.min(Double.isNaN(vsFp32) ? Double.MAX_VALUE : vsFp32, Double.isNaN(vsBf16) ? Double.MAX_VALUE : vsBf16);
        String why = null;
        if (run.quick()) why = "the PyTorch peer ran --quick, reduced models";
        else if (!stageFullSize(r, metric)) why = "mmgp ran a smaller size: " + r.sizeLabel();
        return new PeerRatios(metric, key, mmgp, fp32, bf16, vsBf16, vsBest, best, why == null, why);
    }

    /** "0.21× / 0.21× (fp32)" for the stage table; "—" without figures. */
    String describe() {
        if (Double.isNaN(vsBf16) && Double.isNaN(vsBest)) return "—";
        return ratio(vsBf16) + " / " + ratio(vsBest) + (bestDtype != null ? " (" + bestDtype + ")" : "") + (comparable ? "" : " ¹");
    }

    static String ratio(double v) {
        if (Double.isNaN(v)) return "—";
        return String.format(Locale.ROOT, v >= 10 ? "%.0f×" : "%.2f×", v);
    }
}
