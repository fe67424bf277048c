package mmgp.bench;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The PyTorch side of {@code mmgp bench kernels}: finds a Python that imports torch, runs
 * {@code bench/python/torch_kernels.py} on the same cases and parses what it prints.
 */
public final class TorchKernels {
    /** Where the script lives in the source tree. */
    public static final String SCRIPT = "bench/python/torch_kernels.py";

    private static final ObjectMapper JSON = new ObjectMapper();

    private TorchKernels() {}

    /** A Python that imported torch: its command and torch's version. */
    public record Python(String command, String torchVersion) {}

    /** The outcome of looking for a Python with torch: {@code python} or why none was usable. */
    public record Probe(Python python, String reason) {
        public boolean found() {
            return python != null;
        }
    }

    /** One dtype of one case: median seconds per call, GFLOP/s, calls timed, the reduced shape it ran on (if any) and why; or an error. */
    public record Result(double seconds, double gflops, int calls, String reduced, String note, String error) {
        public boolean ok() {
            return error == null && gflops > 0;
        }
    }

    /** One case as the script reported it. */
    public record CaseResult(String name, String kind, double gflop, Map<String, Result> dtypes) {}

    /** One run of the script: its environment (torch version, threads, oneDNN, BLAS, …) and the cases. */
    public record Run(Map<String, Object> environment, List<CaseResult> cases) {
        public CaseResult get(String name) {
            return cases.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
        }

        /** "torch 1.13.0a0, 2 threads, BLAS libblas.so.3, oneDNN, int8 engine onednn, build AVX2" for a report header. */
        public String describe() {
            StringBuilder sb = new StringBuilder("torch ").append(environment.get("torch"));
            Object threads = environment.get("threads");
            sb.append(", ").append(threads).append(threads instanceof Number n && n.intValue() == 1 ? " thread" : " threads");
            Object blas = environment.get("blas");
            if (blas != null) {
                sb.append(", fp32 matmul BLAS ").append(Path.of(blas.toString()).getFileName());
                if (environment.get("blas_kind") != null) sb.append(" (").append(environment.get("blas_kind")).append(')');
            }
            sb.append(Boolean.TRUE.equals(environment.get("mkldnn_available")) ? ", oneDNN available" : ", no oneDNN");
            if (environment.get("mkldnn_bf16_supported") instanceof Boolean b) sb.append(b ? " (bf16 supported)" : " (no bf16 on this CPU)");
            sb.append(", int8 engine ").append(environment.get("quantized_engine"));
            Object cap = environment.getOrDefault("cpu_capability", environment.get("build_cpu_capability"));
            if (cap != null) sb.append(", CPU capability ").append(cap);
            return sb.toString();
        }
    }

    /**
     * The first Python that imports torch, trying {@code override} (e.g. --python), then the
     * MMGP_PYTHON environment variable, /usr/bin/python3 and python3 on the PATH.
     */
    public static Probe findPython(String override) {
        return findPython(override, Duration.ofSeconds(120));
    }

    /** {@link #findPython(String)} with each candidate given {@code timeout} to answer. */
    static Probe findPython(String override, Duration timeout) {
        Set<String> candidates = new LinkedHashSet<>();
        if (override != null && !override.isBlank()) candidates.add(override.strip());
        String env = System.getenv("MMGP_PYTHON");
        if (env != null && !env.isBlank()) candidates.add(env.strip());
        candidates.add("/usr/bin/python3");
        candidates.add("python3");
        List<String> reasons = new ArrayList<>();
        for (String py : candidates) {
            String[] out = new String[1];
            String failure = exec(List.of(py, "-c", "import torch; print('torch', torch.__version__)"), timeout, out);
            String last = failure == null ? out[0].lines().reduce((a, b) -> b).orElse("") : "";
            if (failure == null && last.startsWith("torch ")) return new Probe(new Python(py, last.substring(6).strip()), null);
            reasons.add(py + ": " + (failure != null ? failure : "unexpected output " + out[0]));
        }
        return new Probe(null, "no Python with torch (" + String.join("; ", reasons) + ")");
    }

    /** Runs a command; returns null and sets {@code out[0]} to its stripped output, or says why it failed. */
    private static String exec(List<String> command, Duration timeout, String[] out) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            // Read on another thread: a command that hangs without closing its output must still time out.
            java.util.concurrent.CompletableFuture<byte[]> output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return p.getInputStream().readAllBytes();
                } catch (IOException e) {
                    return new byte[0];
                }
            }, Thread::startVirtualThread);
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return "no answer in " + timeout.toSeconds() + " s";
            }
            byte[] bytes;
            try {
                bytes = output.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                return "its output could not be read (" + e + ")";
            }
            String text = new String(bytes, StandardCharsets.UTF_8).strip();
            out[0] = text;
            if (p.exitValue() != 0) {
                String[] lines = text.split("\n");
                return "exit " + p.exitValue() + (lines.length > 0 ? " (" + lines[lines.length - 1].strip() + ")" : "");
            }
            return null;
        } catch (IOException e) {
            return "cannot run (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /**
     * The script: {@code explicit} if given, else {@value #SCRIPT} under -Dmmgp.home (the launcher
     * sets it), the working directory or one of its parents (a module's tests run in bench/).
     */
    public static Path findScript(Path explicit) {
        if (explicit != null) {
            if (!Files.isRegularFile(explicit)) throw new IllegalArgumentException("no torch script at " + explicit);
            return explicit;
        }
        return findInTree(SCRIPT);
    }

    /**
     * The file at {@code relative} (a path in the source tree, e.g. "bench/python/x.py") under
     * -Dmmgp.home, the working directory or one of its parents, whichever has it first; null if none.
     */
    public static Path findInTree(String relative) {
        List<Path> roots = new ArrayList<>();
        String home = System.getProperty("mmgp.home");
        if (home != null) roots.add(Path.of(home));
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) roots.add(d);
        for (Path r : roots) {
            Path p = r.resolve(relative);
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    /** The request the script reads on stdin. */
    static String request(List<KernelCase> cases, int threads, double targetSeconds, double maxCallSeconds) {
        Map<String, Object> req = new LinkedHashMap<>();
        req.put("threads", threads);
        req.put("target_seconds", targetSeconds);
        req.put("max_call_seconds", maxCallSeconds);
        req.put("cases", cases.stream().map(KernelCase::torchJson).toList());
        try {
            return JSON.writeValueAsString(req);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs the script on {@code cases} with {@code threads} torch threads; its progress lines go to
     * this process's stderr. Throws with the script's exit code when it fails.
     */
    public static Run run(Python python, Path script, List<KernelCase> cases, int threads, double targetSeconds, double maxCallSeconds,
            Duration timeout) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(python.command(), script.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(request(cases, threads, targetSeconds, maxCallSeconds).getBytes(StandardCharsets.UTF_8));
        }
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IOException(script + " did not finish within " + timeout);
        }
        if (p.exitValue() != 0) throw new IOException(script + " exited with " + p.exitValue());
        return parse(new String(out, StandardCharsets.UTF_8));
    }

    /** Parses the script's output (one JSON object). */
    public static Run parse(String json) throws IOException {
        JsonNode root = JSON.readTree(json);
        if (root == null || !root.isObject() || !root.path("cases").isArray()) throw new IOException("torch_kernels.py output has no \"cases\" list");
        Map<String, Object> env = new LinkedHashMap<>();
        root.fields().forEachRemaining(e -> {
            if (!e.getKey().equals("cases")) env.put(e.getKey(), JSON.convertValue(e.getValue(), new TypeReference<Object>() {}));
        });
        List<CaseResult> cases = new ArrayList<>();
        for (JsonNode c : root.path("cases")) {
            Map<String, Result> dtypes = new LinkedHashMap<>();
            c.path("dtypes").fields().forEachRemaining(e -> {
                JsonNode r = e.getValue();
                dtypes.put(e.getKey(), r.has("error")
                        ? new Result(Double.NaN, Double.NaN, 0, null, null, r.path("error").asText())
                        : new Result(r.path("seconds").asDouble(Double.NaN), r.path("gflops").asDouble(Double.NaN), r.path("calls").asInt(),
                                r.hasNonNull("reduced") ? r.get("reduced").asText() : null, r.hasNonNull("note") ? r.get("note").asText() : null, null));
            });
            cases.add(new CaseResult(c.path("name").asText(), c.path("kind").asText(), c.path("gflop").asDouble(), dtypes));
        }
        return new Run(env, cases);
    }
}
