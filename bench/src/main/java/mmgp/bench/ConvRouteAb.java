package mmgp.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Numerics;
import mmgp.models.amused.AmusedModel;
import mmgp.models.amused.VqDecoder;
import mmgp.models.ltx.LtxModel;
import mmgp.models.ltx.LtxVaeDecoder;

/**
 * The convolution routes of the decoders compared in one JVM, interleaved: every round decodes
 * once per route, in turn, so load from other processes falls on all routes alike. A route is a
 * set of system properties ({@code mmgp.conv}, {@code mmgp.winograd.tile}, {@code mmgp.winograd.type},
 * {@code mmgp.winograd.fused}, {@code mmgp.winograd.block}: see {@link #select}),
 * read by the graph builder at every decode. Prints every round and each route's median.
 *
 * <pre>java -cp bench/target/mmgp-bench.jar mmgp.bench.ConvRouteAb MODEL.gguf vq|vae [rounds] [LFxLHxLW]</pre>
 * {@code vq}: an aMUSEd file's VQ decoder on 16×16 random codes (a 256² image); {@code vae}: an LTX
 * file's VAE decoder on random latents of LF×LH×LW (default 3×6×8), decode timestep 0.05.
 * Routes: {@code -Droutes=im2col,winograd:2:f16,winograd:4:f32} (the default), or e.g.
 * {@code winograd:4:f32:unfused,winograd:4:f32:fused} to compare the three-op and the fused Winograd,
 * or {@code winograd:4:f32+norm=ggml,winograd:4:f32+norm=fused} the group norm routes, or
 * {@code winograd:4:f32:fused+chnorm=ggml,winograd:4:f32:fused+chnorm=fused} the LTX VAE's channel norm routes.
 */
public final class ConvRouteAb {
    private ConvRouteAb() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) throw new IllegalArgumentException("usage: ConvRouteAb MODEL.gguf vq|vae [rounds] [LFxLHxLW]");
        Path model = Path.of(args[0]);
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        if (rounds < 1) throw new IllegalArgumentException("rounds must be at least 1 (round 0, the warm-up, is not counted), got " + rounds);
        List<String> routes = List.of(System.getProperty("routes", "im2col,winograd:2:f16,winograd:4:f32").split(","));
        Map<String, List<Double>> times = new LinkedHashMap<>();
        for (String r : routes) times.put(r, new ArrayList<>());
        try (ComputeBackend backend = ComputeBackend.cpu(2, Numerics.FAST)) {
            Runnable decode;
            AutoCloseable opened;
            SplittableRandom random = new SplittableRandom(1);
            if (args[1].equals("vq")) {
                AmusedModel amused = AmusedModel.open(model, backend);
                opened = amused;
                VqDecoder vq = amused.vqDecoder();
                long[] codes = new long[16 * 16];
                for (int i = 0; i < codes.length; i++) codes[i] = random.nextInt(vq.config().numVqEmbeddings());
                decode = () -> vq.decode(backend, codes, 1, 16, 16);
            } else {
                LtxModel ltx = LtxModel.open(model, backend);
                opened = ltx;
                LtxVaeDecoder vae = ltx.vae();
                String[] s = (args.length > 3 ? args[3] : "3x6x8").split("x");
                int f = Integer.parseInt(s[0]), h = Integer.parseInt(s[1]), w = Integer.parseInt(s[2]);
                float[] latents = new float[vae.config().latentChannels() * f * h * w];
                for (int i = 0; i < latents.length; i++) latents[i] = (float) random.nextGaussian();
                decode = () -> vae.decode(backend, latents, new float[] {0.05f}, 0, 1, f, h, w);
            }
            try (opened) {
                for (int round = 0; round <= rounds; round++) { // round 0 warms up
                    for (String r : routes) {
                        select(r);
                        long t0 = System.nanoTime();
                        decode.run();
                        double sec = (System.nanoTime() - t0) * 1e-9;
                        System.out.printf("round %d %-18s %.3f s%s%n", round, r, sec, round == 0 ? " (warm-up)" : "");
                        if (round > 0) times.get(r).add(sec);
                    }
                }
            }
        }
        for (var e : times.entrySet()) {
            List<Double> t = new ArrayList<>(e.getValue());
            t.sort(null);
            System.out.printf("median %-18s %.3f s  (min %.3f, max %.3f, %d rounds)%n", e.getKey(), t.get(t.size() / 2), t.getFirst(), t.getLast(), t.size());
        }
    }

    /** The norm switches a route may set after a '+': "+norm=" the group norms', "+chnorm=" the channel norms'. */
    private static final Map<String, String> NORM_SWITCHES = Map.of("norm", "mmgp.norm", "chnorm", "mmgp.chnorm");

    /**
     * "im2col" or "winograd[:TILE[:TYPE[:fused|unfused[:BLOCK]]]]" as the route properties
     * ({@code mmgp.winograd.fused} on/off, {@code mmgp.winograd.block} tiles per block of the fused
     * op), optionally followed by "+norm=fused|ggml" ({@code mmgp.norm}: the group norms' route)
     * and/or "+chnorm=fused|ggml" ({@code mmgp.chnorm}: the LTX VAE's channel norms' route);
     * an omitted part is the default, not the previous route's.
     */
    static void select(String route) {
        String[] parts = route.split("\\+");
        for (String property : NORM_SWITCHES.values()) System.clearProperty(property);
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            String property = eq < 0 ? null : NORM_SWITCHES.get(parts[i].substring(0, eq));
            if (property == null) throw new IllegalArgumentException("route " + route + ": '+" + parts[i] + "' is not +norm=... or +chnorm=...");
            String value = parts[i].substring(eq + 1);
            if (!value.equals("fused") && !value.equals("ggml")) throw new IllegalArgumentException("route " + route + ": '" + value + "' is not fused or ggml");
            System.setProperty(property, value);
        }
        String[] p = parts[0].split(":");
        System.setProperty("mmgp.conv", p[0]);
        String[] keys = {"mmgp.winograd.tile", "mmgp.winograd.type", "mmgp.winograd.fused", "mmgp.winograd.block"};
        for (int i = 0; i < keys.length; i++) {
            String v = p.length > i + 1 ? p[i + 1] : null;
            if (i == 2 && v != null) {
                if (!v.equals("fused") && !v.equals("unfused")) throw new IllegalArgumentException("route " + route + ": '" + v + "' is not fused or unfused");
                v = v.equals("fused") ? "on" : "off";
            }
            if (v != null) System.setProperty(keys[i], v);
            else System.clearProperty(keys[i]);
        }
    }
}
