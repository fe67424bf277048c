package mmgp.cli;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import mmgp.bindings.NativeLibraries;
import mmgp.convert.TensorEncoder;
import mmgp.gguf.GgufFile;
import mmgp.gguf.GgufWriter;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.tensor.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What the engine can do today, end to end on this machine: the native build, a GGUF file
 * written with ggml's quantizers, its weights used in place by a ggml graph built in Java,
 * and the speed of that path. The model pipeline (video → caption → image → video) plugs into
 * the same path as the models land; this command says so rather than pretending.
 */
@Command(name = "demo", description = "Run the engine's end-to-end path on this machine and report what it measured.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "mmgp-demo", description = "Output folder (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--threads", defaultValue = "0", description = "CPU threads (0 = one per core).")
    int threads;

    @Option(names = "--size", defaultValue = "1024", description = "Square matrix size for the timing (default ${DEFAULT-VALUE}).")
    int size;

    @Override
    public Integer call() throws Exception {
        System.out.println("mmgp demo: the models (SmolVLM2, aMUSEd, LTX-Video) are not in this build yet, so the");
        System.out.println("caption → image → video pipeline cannot run; this runs the engine path they will use.\n");
        NativeLibraries libs = NativeLibraries.get();
        System.out.println("1. native ggml/llama.cpp build: " + libs.directory() + " (" + libs.buildInfo().get("npm") + ")");
        Files.createDirectories(out);
        Path file = out.resolve("random-weights.gguf");
        List<GgmlType> types = List.of(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0);
        SplittableRandom rnd = new SplittableRandom(42);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate((long) size * size * 4, 64);
            for (long i = 0; i < (long) size * size; i++) w.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextGaussian());
            GgufWriter writer = new GgufWriter().putString("general.architecture", "demo").putString("general.name", "random " + size + "x" + size);
            for (GgmlType t : types) {
                MemorySegment enc = arena.allocate(t.rowBytes(size) * size, 64);
                TensorEncoder.encode(t, w, size, size, enc);
                writer.addTensor("w." + t.name().toLowerCase(), t, new long[] {size, size}, enc);
            }
            long bytes = writer.write(file);
            System.out.printf("2. wrote %s: %d tensors (F32, F16, Q8_0, Q4_0 via ggml's quantizers), %.1f MiB%n", file, types.size(), bytes / 1048576.0);
        }
        try (GgufFile gguf = GgufFile.open(file);
             ComputeBackend backend = ComputeBackend.cpu(threads);
             WeightSet weights = WeightSet.fromGguf(backend, gguf, true)) {
            System.out.println("3. mapped it; weights used in place: " + weights.placement());
            System.out.printf("4. ggml mul_mat %d×%d·%d×%d on %d threads, graph built from Java:%n", size, size, size, size, backend.threads());
            float[] x = new float[size * size];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            float[] reference = null;
            for (GgmlType t : types) {
                try (Graph g = new Graph(backend, 16)) {
                    Tensor xi = g.inputF32("x", size, size);
                    Tensor y = g.output(g.mulMat(weights.get("w." + t.name().toLowerCase()), xi));
                    g.set(xi, x);
                    g.compute();
                    int reps = 0;
                    long t0 = System.nanoTime();
                    while (reps < 3 || System.nanoTime() - t0 < 1_000_000_000L) {
                        g.compute();
                        reps++;
                    }
                    double secs = (System.nanoTime() - t0) / 1e9 / reps;
                    float[] r = g.floats(y);
                    String err = "";
                    if (reference == null) reference = r;
                    else err = String.format("  relative RMS error vs F32 %.1e", relativeRms(r, reference));
                    System.out.printf("   %-5s %7.2f ms  %6.1f GFLOP/s%s%n", t, secs * 1e3, 2.0 * size * size * size / secs / 1e9, err);
                }
            }
        }
        System.out.println("\nDone. Models arrive with `mmgp image`, `mmgp video`, `mmgp understand` and `mmgp pipeline`.");
        return 0;
    }

    private static double relativeRms(float[] a, float[] ref) {
        double e = 0, r = 0;
        for (int i = 0; i < a.length; i++) {
            e += (a[i] - ref[i]) * (double) (a[i] - ref[i]);
            r += ref[i] * (double) ref[i];
        }
        return Math.sqrt(e / r);
    }
}
