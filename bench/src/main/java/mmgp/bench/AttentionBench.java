package mmgp.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.nn.Attention;
import mmgp.tensor.GgmlType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Self-attention of one layer at the three models' sequence lengths: the exact fp32 path the
 * golden tests use ({@link Attention#multiHead}), ggml's fused flash attention with F16 K/V, and
 * mmgp's fused fp32 op ({@link Attention#fused}, FAST's route). GFLOP/s counts the two matmuls
 * (4·T²·D). {@link AttentionRouteAb} compares every route interleaved at the models' real shapes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
public class AttentionBench {
    /**
     * "TOKENSxWIDTHxHEADS" (x: JMH splits -p values at commas): SmolVLM2's vision encoder on one 512² tile (32×32 patches), aMUSEd-256's
     * transformer (16×16 tokens), LTX-Video 2B at 512×320×49 (7×10×16 latent tokens).
     */
    @Param({"1024x768x12", "256x1024x16", "1120x2048x32"})
    public String shape;

    @Param({"exact", "flash", "mmgp"})
    public String path;

    @Param({"2"})
    public int threads;

    private ComputeBackend backend;
    private Graph graph;
    private double gflopPerOp;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("x");
        int tokens = Integer.parseInt(p[0]), width = Integer.parseInt(p[1]), heads = Integer.parseInt(p[2]);
        int headDim = width / heads;
        gflopPerOp = 4.0 * tokens * tokens * width / 1e9;
        backend = ComputeBackend.cpu(threads);
        graph = new Graph(backend, 64);
        SplittableRandom rnd = new SplittableRandom(3);
        if (path.equals("exact")) {
            Tensor q = graph.inputF32("q", width, tokens, 1), k = graph.inputF32("k", width, tokens, 1), v = graph.inputF32("v", width, tokens, 1);
            graph.output(Attention.multiHead(graph, q, k, v, heads, null));
            for (Tensor t : new Tensor[] {q, k, v}) graph.set(t, random(rnd, (long) width * tokens));
        } else if (path.equals("mmgp")) {
            Tensor q = graph.inputF32("q", width, tokens, 1), k = graph.inputF32("k", width, tokens, 1), v = graph.inputF32("v", width, tokens, 1);
            graph.output(Attention.fused(graph, q, k, v, heads, Attention.defaultScale(headDim), null, null, 0));
            for (Tensor t : new Tensor[] {q, k, v}) graph.set(t, random(rnd, (long) width * tokens));
        } else {
            Tensor q = graph.inputF32("q", headDim, tokens, heads, 1);
            Tensor k = graph.inputF32("k", headDim, tokens, heads, 1), v = graph.inputF32("v", headDim, tokens, heads, 1);
            graph.output(graph.flashAttention(q, graph.cast(k, GgmlType.F16), graph.cast(v, GgmlType.F16), null, (float) (1 / Math.sqrt(headDim))));
            for (Tensor t : new Tensor[] {q, k, v}) graph.set(t, random(rnd, (long) width * tokens));
        }
        graph.compute();
    }

    private static float[] random(SplittableRandom rnd, long n) {
        float[] x = new float[(int) n];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    @Benchmark
    public void attention(FlopCounter flops) {
        graph.compute();
        flops.gflop += gflopPerOp;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        graph.close();
        backend.close();
    }
}
