package mmgp.bench.e2e;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
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

    /** Every component as {@code name=value}, in declaration order. */
    public List<String> toArgs() {
        List<String> args = new ArrayList<>();
        for (RecordComponent c : WorkloadSettings.class.getRecordComponents()) {
            try {
                args.add(c.getName() + "=" + c.getAccessor().invoke(this));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return args;
    }

    /** The settings {@link #toArgs} wrote; an argument missing or of the wrong kind is named. */
    public static WorkloadSettings parse(String[] args) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("expected key=value, got '" + a + "'");
            kv.put(a.substring(0, eq), a.substring(eq + 1));
        }
        RecordComponent[] components = WorkloadSettings.class.getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            values[i] = value(kv, components[i].getName(), types[i]);
        }
        try {
            return WorkloadSettings.class.getDeclaredConstructor(types).newInstance(values);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object value(Map<String, String> kv, String key, Class<?> type) {
        String v = kv.get(key);
        if (v == null) throw new IllegalArgumentException("missing argument " + key + "=...");
        if (type == Path.class) return Path.of(v);
        if (type == String.class) return v;
        if (type != int.class) throw new IllegalStateException("no parser for " + key + " of " + type);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
        }
    }
}
