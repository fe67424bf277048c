package mmgp.bench.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import mmgp.bench.TorchKernels;
import mmgp.bench.TorchKernels.Probe;
import mmgp.bench.TorchKernels.Python;

/**
 * The PyTorch stage peer of aMUSEd and LTX-Video: {@code bench/python/torch_stages.py} (plain
 * torch.nn models of the real architectures' shapes, fp32 and bf16: the UViT step, the VQ decode,
 * the T5-XXL encode, the LTX DiT step and the LTX 0.9.5 VAE decode), run once per thread count in
 * the same harness run. diffusers/transformers are not needed. This class finds a Python with torch,
 * runs the script and parses its JSON, or says why the peer was skipped.
 */
public final class PythonPeer {
    static final String SCRIPT = "bench/python/torch_stages.py";
    static final String INSTALL = "apt-get install python3-torch libopenblas0-openmp";

    private PythonPeer() {}

    /** The peer stages that stand for the given models' mmgp stages ("amused" → amused, vq; "ltx" → t5, ltx, ltx_vae). */
    static List<String> stagesFor(List<String> models) {
        Set<String> out = new LinkedHashSet<>();
        for (String m : models) {
            if (m.equals("amused")) out.addAll(List.of("amused", "vq"));
            if (m.equals("ltx")) out.addAll(List.of("t5", "ltx", "ltx_vae"));
        }
        return List.copyOf(out);
    }

    /** The first Python that imports torch ({@link TorchKernels#findPython}), or why none did and how to install one. */
    static Probe detect() {
        Probe probe = TorchKernels.findPython(null);
        return probe.found() ? probe : new Probe(null, probe.reason() + "; install one: " + INSTALL + ", or set MMGP_PYTHON");
    }

    /** The script: under -Dmmgp.home (the ./mmgp launcher sets it), else the working folder or one of its parents (a module's tests run in bench/). */
    static Path script() {
        return TorchKernels.findInTree(SCRIPT);
    }

    /**
     * Runs the script at one thread count; its progress goes to this JVM's stderr.
     *
     * @param capSeconds the most one stage/dtype may take (the script's --cap-seconds)
     */
    static TorchStages run(Python python, Path script, List<String> stages, int threads, boolean quick, double capSeconds)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(python.command(), script.toString(), "--threads", Integer.toString(threads), "--stages",
                String.join(",", stages), "--dtypes", "fp32,bf16", "--cap-seconds", Double.toString(capSeconds)));
        if (quick) cmd.add("--quick");
        Path out = Files.createTempFile("mmgp-torch-stages", ".json");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).redirectOutput(out.toFile());
            pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
            Process p = pb.start();
            // Bounded: per stage and dtype about the cap, plus building the models.
            long limit = (long) (stages.size() * 2 * (capSeconds * 1.5 + 60) + 300);
            if (!p.waitFor(limit, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("torch_stages.py did not finish in " + limit + " s");
            }
            if (p.exitValue() != 0) throw new IOException("torch_stages.py exited with code " + p.exitValue());
            return TorchStages.parse(Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
