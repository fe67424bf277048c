package mmgp.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Numerics;
import mmgp.models.ltx.LtxModel;
import mmgp.models.ltx.LtxTransformer;

/**
 * One LTX DiT step (the transformer on 7×10×16 latent tokens, 512×320×49, and 128 text tokens, the
 * last 28 of them padding) per route under FAST, interleaved in one JVM: every round runs the step
 * once per value of the switch ({@code -Dab.property}, default {@code mmgp.attention}, with the
 * values {@code -Dab.values}, default {@code mmgp,ggml}; e.g. {@code -Dab.property=mmgp.q8amx
 * -Dab.values=on,off} for the Q8_0 GEMM's AMX path), so load from other processes falls on all
 * alike. Prints every round and each value's median wall and process CPU seconds.
 *
 * <pre>java -cp bench/target/mmgp-bench.jar mmgp.bench.DitStepAb MODEL.gguf [rounds] [threads]</pre>
 */
public final class DitStepAb {
    private DitStepAb() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) throw new IllegalArgumentException("usage: DitStepAb MODEL.gguf [rounds] [threads]");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        if (rounds < 1) throw new IllegalArgumentException("rounds must be at least 1 (round 0, the warm-up, is not counted), got " + rounds);
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        String property = System.getProperty("ab.property", "mmgp.attention");
        List<String> routes = List.of(System.getProperty("ab.values", "mmgp,ggml").split(","));
        Map<String, List<double[]>> times = new LinkedHashMap<>();
        for (String r : routes) times.put(r, new ArrayList<>());
        int frames = 7, height = 10, width = 16, text = 128;
        try (ComputeBackend backend = ComputeBackend.cpu(threads, Numerics.FAST); LtxModel model = LtxModel.open(Path.of(args[0]), backend)) {
            LtxTransformer dit = model.transformer();
            SplittableRandom random = new SplittableRandom(1);
            float[] hidden = gaussian(random, frames * height * width * dit.config().inChannels());
            float[] enc = gaussian(random, text * dit.config().captionChannels());
            boolean[] mask = new boolean[text];
            for (int i = 0; i < 100; i++) mask[i] = true;
            LtxTransformer.RopeScale scale = LtxTransformer.RopeScale.forVideo(25, 8, 32);
            for (int round = 0; round <= rounds; round++) {
                for (String route : routes) {
                    System.setProperty(property, route);
                    long cpu0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                    dit.forward(backend, hidden, enc, mask, new float[] {0.5f}, 1, frames, height, width, scale);
                    double wall = (System.nanoTime() - t0) / 1e9, cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
                    System.out.printf("round %d %-5s %7.2f s wall %7.2f s cpu%s%n", round, route, wall, cpu, round == 0 ? " (warm-up)" : "");
                    if (round > 0) times.get(route).add(new double[] {wall, cpu});
                }
            }
        } finally {
            System.clearProperty(property);
        }
        for (var e : times.entrySet()) {
            System.out.printf("%-5s median %.2f s wall, %.2f s cpu%n", e.getKey(), median(e.getValue(), 0), median(e.getValue(), 1));
        }
    }

    private static double median(List<double[]> v, int column) {
        double[] c = v.stream().mapToDouble(x -> x[column]).sorted().toArray();
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    private static float[] gaussian(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }
}
