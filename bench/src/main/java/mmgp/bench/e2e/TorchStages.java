package mmgp.bench.e2e;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one run of {@code bench/python/torch_stages.py} measured at one thread count: the torch and
 * BLAS it ran on and, per stage (amused, t5, ltx, vq, ltx_vae), the GFLOP of one forward pass and the
 * median seconds per data type (fp32, bf16).
 *
 * @param blas      "OpenBLAS", "reference BLAS", … (the library torch's fp32 matmuls call)
 * @param blasNote  a warning when that BLAS is the slow reference one, else null
 * @param bf16      whether the CPU has native BF16 matmul instructions, as the script saw
 * @param quick     the script's --quick run: reduced models, not comparable with full-size mmgp stages
 */
public record TorchStages(int threads, String torch, String python, String blas, String blasNote, String cpuCapability, String bf16,
                          boolean quick, double capSeconds, List<Stage> stages) {

    /** One stage: its key, what it models, its FLOPs, and a result per dtype. */
    public record Stage(String key, String label, double gflop, int layers, int layersTimed, Map<String, Result> results) {
        public Result result(String dtype) {
            return results == null ? null : results.get(dtype);
        }
    }

    /**
     * One dtype's timing. {@code seconds} is null (NaN) when it failed ({@code error}); {@code capped}
     * when the time cap cut it short ({@code estimated}: extrapolated from part of a pass, which took
     * at least {@code lowerBoundSeconds}).
     */
    public record Result(double seconds, int reps, double gflops, boolean capped, boolean estimated, double lowerBoundSeconds, String note,
                         String error) {
        public boolean ok() {
            return error == null && seconds > 0;
        }

        /** "3.21 s", "≈ 412 s (capped)", "failed: …". */
        public String describe() {
            if (!ok()) return error != null ? "failed: " + error : "—";
            return (estimated ? "≈ " : "") + Targets.seconds(seconds) + (capped ? " (capped)" : "");
        }
    }

    public Stage stage(String key) {
        return stages.stream().filter(s -> s.key().equals(key)).findFirst().orElse(null);
    }

    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Parses the script's stdout; fails naming what is missing. */
    static TorchStages parse(String json) throws IOException {
        JsonNode root = JSON.readTree(json);
        if (root == null || !root.path("stages").isArray()) throw new IOException("torch_stages.py output has no \"stages\" list");
        List<Stage> stages = new ArrayList<>();
        for (JsonNode s : root.path("stages")) {
            Map<String, Result> results = new LinkedHashMap<>();
            s.path("results").fields().forEachRemaining(e -> results.put(e.getKey(), result(e.getValue())));
            stages.add(new Stage(s.path("stage").asText(), s.path("label").asText(), s.path("gflop").asDouble(Double.NaN),
                    s.path("layers").asInt(0), s.path("layers_timed").asInt(0), results));
        }
        JsonNode blas = root.path("blas");
        return new TorchStages(root.path("threads").asInt(0), root.path("torch").asText(""), root.path("executable").asText(""),
                blas.path("kind").asText("unknown"), blas.hasNonNull("warning") ? blas.path("warning").asText() : null,
                root.path("cpu_capability").asText(""), root.path("bf16").asText(""), root.path("quick").asBoolean(false),
                root.path("cap_seconds").asDouble(Double.NaN), stages);
    }

    private static Result result(JsonNode r) {
        double seconds = r.hasNonNull("seconds") ? r.path("seconds").asDouble() : Double.NaN;
        return new Result(seconds, r.path("reps").asInt(0), r.hasNonNull("gflops") ? r.path("gflops").asDouble() : Double.NaN,
                r.path("capped").asBoolean(false), r.path("estimated").asBoolean(false),
                r.hasNonNull("lower_bound_seconds") ? r.path("lower_bound_seconds").asDouble() : Double.NaN,
                r.hasNonNull("note") ? r.path("note").asText() : null, r.hasNonNull("error") ? r.path("error").asText() : null);
    }
}
