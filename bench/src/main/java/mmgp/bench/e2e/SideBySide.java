package mmgp.bench.e2e;

import java.util.List;
import java.util.Locale;

/**
 * SmolVLM2 through mmgp next to llama-mtmd-cli on the same GGUFs, image, prompt and thread count.
 * The speed ratio is always "how many times faster mmgp is": peer time ÷ mmgp time for durations,
 * mmgp rate ÷ peer rate for tokens per second, so above 1 means mmgp is ahead.
 */
public record SideBySide(String configuration, String peerCommand, MtmdCliPeer.Figures peer, List<Row> rows, String skipped) {

    public record Row(String figure, String mmgp, String peer, double speedRatio) {}

    static SideBySide skipped(String why) {
        return new SideBySide("—", "", null, List.of(), why);
    }

    static SideBySide of(ConfigurationResult mmgp, MtmdCliPeer.Outcome peer) {
        if (peer.figures() == null) return new SideBySide(mmgp.label(), peer.command(), null, List.of(), peer.skipped());
        MtmdCliPeer.Figures f = peer.figures();
        double tile = mmgp.median("vision encode / tile"), prefill = mmgp.median("prefill"), tps = mmgp.median("decode tok/s");
        double mmgpRss = mmgp.peakRssBytes();
        return new SideBySide(mmgp.label(), peer.command(), f, List.of(
                new Row("vision encode per 512² tile (" + f.tiles() + " tiles)", Targets.seconds(tile), Targets.seconds(f.visionPerTileSeconds()), f.visionPerTileSeconds() / tile),
                new Row("LLM prefill (prompt − vision)", Targets.seconds(prefill), Targets.seconds(f.prefillSeconds()), f.prefillSeconds() / prefill),
                new Row("decode", rate(tps), rate(f.decodeTokensPerSecond()), tps / f.decodeTokensPerSecond()),
                new Row("peak RSS", gib(mmgpRss), gib(f.peakRssBytes()), Double.NaN)), null);
    }

    private static String rate(double v) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%.1f tok/s", v);
    }

    static String gib(double bytes) {
        return bytes <= 0 ? "—" : String.format(Locale.ROOT, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }
}
