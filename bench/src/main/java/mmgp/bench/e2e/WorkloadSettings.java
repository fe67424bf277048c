package mmgp.bench.e2e;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One benchmark configuration as the child JVM receives it: which model file, how many threads,
 * how many warm-up and measured runs, and the workload's size. Passed as {@code key=value} arguments
 * so the parent and child need no shared parser beyond this class.
 *
 * @param model        amused, ltx or smolvlm
 * @param file         the GGUF (aMUSEd, LTX) or the SmolVLM folder with text GGUF + mmproj
 * @param type         weight type label of the file (F16, Q8_0), for the report only
 * @param amusedSteps  aMUSEd denoising steps (12 is the target's)
 * @param ltxFrames    LTX frames, 8·n + 1
 * @param ltxSteps     LTX denoising steps (unguided)
 * @param image        the SmolVLM input image
 * @param smolTokens   tokens SmolVLM generates per run (forced: the answer may not end earlier)
 */
public record WorkloadSettings(String model, Path file, String type, int threads, int warmup, int runs,
                               int amusedSteps, int ltxFrames, int ltxWidth, int ltxHeight, int ltxSteps,
                               Path image, int smolTokens) {

    public WorkloadSettings {
        if (!List.of("amused", "ltx", "smolvlm").contains(model)) {
            throw new IllegalArgumentException("unknown model '" + model + "' (amused, ltx or smolvlm)");
        }
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        if (runs < 1) throw new IllegalArgumentException("runs must be at least 1, got " + runs);
        if (warmup < 0) throw new IllegalArgumentException("warmup must be at least 0, got " + warmup);
    }

    public WorkloadSettings withModel(String m, Path f, String t, int th) {
        return new WorkloadSettings(m, f, t, th, warmup, runs, amusedSteps, ltxFrames, ltxWidth, ltxHeight, ltxSteps, image, smolTokens);
    }

    public List<String> toArgs() {
        List<String> args = new ArrayList<>();
        args.add("model=" + model);
        args.add("file=" + file);
        args.add("type=" + type);
        args.add("threads=" + threads);
        args.add("warmup=" + warmup);
        args.add("runs=" + runs);
        args.add("amusedSteps=" + amusedSteps);
        args.add("ltxFrames=" + ltxFrames);
        args.add("ltxWidth=" + ltxWidth);
        args.add("ltxHeight=" + ltxHeight);
        args.add("ltxSteps=" + ltxSteps);
        args.add("image=" + image);
        args.add("smolTokens=" + smolTokens);
        return args;
    }

    public static WorkloadSettings parse(String[] args) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("expected key=value, got '" + a + "'");
            kv.put(a.substring(0, eq), a.substring(eq + 1));
        }
        return new WorkloadSettings(req(kv, "model"), Path.of(req(kv, "file")), req(kv, "type"), num(kv, "threads"),
                num(kv, "warmup"), num(kv, "runs"), num(kv, "amusedSteps"), num(kv, "ltxFrames"), num(kv, "ltxWidth"),
                num(kv, "ltxHeight"), num(kv, "ltxSteps"), Path.of(req(kv, "image")), num(kv, "smolTokens"));
    }

    private static String req(Map<String, String> kv, String key) {
        String v = kv.get(key);
        if (v == null) throw new IllegalArgumentException("missing argument " + key + "=...");
        return v;
    }

    private static int num(Map<String, String> kv, String key) {
        String v = req(kv, key);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
        }
    }
}
