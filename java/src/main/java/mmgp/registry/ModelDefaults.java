package mmgp.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import mmgp.gguf.GgufMetadata;
import mmgp.gguf.GgufWriter;

/**
 * A model's recommended generation settings, carried in its {@link ModelManifest} (and the
 * converted GGUF's metadata) so {@code mmgp video}, the engine and the demo use the model's own
 * defaults when the user gives none. Every field is optional: null means "no recommendation"
 * (the caller's built-in default applies), so manifests written before defaults existed keep
 * today's behaviour.
 *
 * @param steps            denoising steps
 * @param timesteps        an explicit timestep list (the distilled releases' fixed schedule); wins over steps
 * @param guidance         classifier-free guidance scale (1 = off)
 * @param decodeTimestep   decode timestep of timestep-conditioned VAEs
 * @param decodeNoiseScale decode noise mix (null: the decode timestep)
 * @param distilled        a guidance/step-distilled release: the one to prefer on CPUs
 */
public record ModelDefaults(Integer steps, double[] timesteps, Float guidance, Float decodeTimestep, Float decodeNoiseScale,
                            boolean distilled) {
    /** No recommendations: the callers' own defaults apply. */
    public static final ModelDefaults NONE = new ModelDefaults(null, null, null, null, null, false);

    /** GGUF metadata keys the converter writes the defaults under. */
    public static final String GGUF_PREFIX = "mmgp.defaults.";

    public ModelDefaults {
        if (steps != null && (steps < 1 || steps > 1000)) throw new IllegalArgumentException("default steps " + steps + " outside 1..1000");
        if (timesteps != null) {
            if (timesteps.length == 0) throw new IllegalArgumentException("empty default timestep list");
            timesteps = timesteps.clone();
        }
        if (guidance != null && !(guidance >= 0 && guidance <= 100)) throw new IllegalArgumentException("default guidance " + guidance + " outside 0..100");
        if (decodeTimestep != null && !(decodeTimestep >= 0 && decodeTimestep <= 1)) throw new IllegalArgumentException("default decode timestep " + decodeTimestep + " outside 0..1");
        if (decodeNoiseScale != null && !(decodeNoiseScale >= 0 && decodeNoiseScale <= 1)) throw new IllegalArgumentException("default decode noise scale " + decodeNoiseScale + " outside 0..1");
    }

    /** Steps and guidance of a plain (non-distilled) model. */
    public static ModelDefaults of(int steps, float guidance, Float decodeTimestep) {
        return new ModelDefaults(steps, null, guidance, decodeTimestep, null, false);
    }

    /** A distilled release: a fixed timestep list, guidance off. */
    public static ModelDefaults distilled(double[] timesteps, float decodeTimestep) {
        return new ModelDefaults(timesteps.length, timesteps, 1f, decodeTimestep, null, true);
    }

    /** A distilled release with its decode noise scale. */
    public static ModelDefaults distilled(double[] timesteps, float decodeTimestep, float decodeNoiseScale) {
        return new ModelDefaults(timesteps.length, timesteps, 1f, decodeTimestep, decodeNoiseScale, true);
    }

    @Override
    public double[] timesteps() {
        return timesteps == null ? null : timesteps.clone();
    }

    public boolean isEmpty() {
        return steps == null && timesteps == null && guidance == null && decodeTimestep == null && decodeNoiseScale == null && !distilled;
    }

    /** The step count these defaults imply: the timestep list's length, else steps, else {@code fallback}. */
    public int stepsOr(int fallback) {
        return timesteps != null ? timesteps.length : steps != null ? steps : fallback;
    }

    public float guidanceOr(float fallback) {
        return guidance != null ? guidance : fallback;
    }

    /** Writes the non-empty fields into {@code node} (the manifest's "defaults" object). */
    void writeTo(ObjectNode node) {
        if (steps != null) node.put("steps", steps);
        if (timesteps != null) {
            var a = node.putArray("timesteps");
            for (double t : timesteps) a.add(t);
        }
        if (guidance != null) node.put("guidance", guidance);
        if (decodeTimestep != null) node.put("decode_timestep", decodeTimestep);
        if (decodeNoiseScale != null) node.put("decode_noise_scale", decodeNoiseScale);
        if (distilled) node.put("distilled", true);
    }

    /** The defaults of a manifest's "defaults" object; {@link #NONE} when it is absent. Unknown fields are ignored. */
    static ModelDefaults read(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) return NONE;
        if (!node.isObject()) throw new IllegalArgumentException("field 'defaults' is not an object: " + node);
        double[] ts = null;
        JsonNode t = node.get("timesteps");
        if (t != null && !t.isNull()) {
            if (!t.isArray()) throw new IllegalArgumentException("defaults.timesteps is not a list: " + t);
            ts = new double[t.size()];
            for (int i = 0; i < ts.length; i++) {
                if (!t.get(i).isNumber()) throw new IllegalArgumentException("defaults.timesteps holds a non-number: " + t.get(i));
                ts[i] = t.get(i).asDouble();
            }
        }
        JsonNode steps = node.get("steps");
        if (steps != null && !steps.isNull() && !steps.canConvertToInt()) throw new IllegalArgumentException("defaults.steps is not an integer: " + steps);
        return new ModelDefaults(steps == null || steps.isNull() ? null : steps.asInt(), ts, number(node, "guidance"), number(node, "decode_timestep"),
                number(node, "decode_noise_scale"), node.path("distilled").asBoolean(false));
    }

    private static Float number(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isNumber()) throw new IllegalArgumentException("defaults." + field + " is not a number: " + v);
        return v.floatValue();
    }

    /** Records the defaults in a GGUF being written (nothing when empty). */
    public void writeTo(GgufWriter gguf) {
        if (steps != null) gguf.putUInt32(GGUF_PREFIX + "steps", steps);
        if (timesteps != null) {
            float[] f = new float[timesteps.length];
            for (int i = 0; i < f.length; i++) f[i] = (float) timesteps[i];
            gguf.putFloat32Array(GGUF_PREFIX + "timesteps", f);
        }
        if (guidance != null) gguf.putFloat32(GGUF_PREFIX + "guidance", guidance);
        if (decodeTimestep != null) gguf.putFloat32(GGUF_PREFIX + "decode_timestep", decodeTimestep);
        if (decodeNoiseScale != null) gguf.putFloat32(GGUF_PREFIX + "decode_noise_scale", decodeNoiseScale);
        if (distilled) gguf.putBool(GGUF_PREFIX + "distilled", true);
    }

    /** Whether a GGUF being written already records defaults (so a converter leaves them as the caller chose). */
    public static boolean recordedIn(GgufWriter gguf) {
        for (String k : List.of("steps", "timesteps", "guidance", "decode_timestep", "decode_noise_scale", "distilled")) {
            if (gguf.contains(GGUF_PREFIX + k)) return true;
        }
        return false;
    }

    /**
     * Defaults a user writes on the command line: {@code distilled} (the distilled releases'
     * timestep list, guidance off, decode timestep 0.05, noise scale 0.025) or {@code STEPS,GUIDANCE[,DECODE_TIMESTEP]}.
     */
    public static ModelDefaults parse(String text) {
        String t = text.trim();
        if (t.equalsIgnoreCase("distilled")) return ModelCatalog.DISTILLED_DEFAULTS;
        String[] parts = t.split(",");
        if (parts.length < 2 || parts.length > 3) {
            throw new IllegalArgumentException("--defaults '" + text + "': use distilled or STEPS,GUIDANCE[,DECODE_TIMESTEP] (e.g. 40,3 or 40,3,0.05)");
        }
        try {
            return of(Integer.parseInt(parts[0].trim()), Float.parseFloat(parts[1].trim()), parts.length == 3 ? Float.parseFloat(parts[2].trim()) : null);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--defaults '" + text + "': " + e.getMessage() + "; use distilled or STEPS,GUIDANCE[,DECODE_TIMESTEP]");
        }
    }

    /** One line for people: "7 timesteps [1000, …], guidance 1, decode timestep 0.05 (distilled)". */
    public String describe() {
        if (isEmpty()) return "none";
        List<String> parts = new java.util.ArrayList<>();
        if (timesteps != null) parts.add(timesteps.length + " timesteps " + Arrays.toString(timesteps).replace(".0,", ",").replace(".0]", "]"));
        else if (steps != null) parts.add(steps + " steps");
        if (guidance != null) parts.add("guidance " + guidance);
        if (decodeTimestep != null) parts.add("decode timestep " + decodeTimestep);
        if (decodeNoiseScale != null) parts.add("decode noise scale " + decodeNoiseScale);
        return String.join(", ", parts) + (distilled ? " (distilled)" : "");
    }

    /** The defaults recorded in GGUF metadata; {@link #NONE} when there are none. */
    public static ModelDefaults read(GgufMetadata m) throws IOException {
        double[] ts = null;
        if (m.contains(GGUF_PREFIX + "timesteps")) {
            float[] f = m.getFloatArray(GGUF_PREFIX + "timesteps");
            ts = new double[f.length];
            for (int i = 0; i < f.length; i++) ts[i] = f[i];
        }
        return new ModelDefaults(m.contains(GGUF_PREFIX + "steps") ? m.getInt(GGUF_PREFIX + "steps") : null, ts,
                m.contains(GGUF_PREFIX + "guidance") ? m.getFloat(GGUF_PREFIX + "guidance") : null,
                m.contains(GGUF_PREFIX + "decode_timestep") ? m.getFloat(GGUF_PREFIX + "decode_timestep") : null,
                m.contains(GGUF_PREFIX + "decode_noise_scale") ? m.getFloat(GGUF_PREFIX + "decode_noise_scale") : null,
                m.getBoolean(GGUF_PREFIX + "distilled", false));
    }

    /**
     * The defaults of the model at {@code model} (a registry model's entry file or folder): its
     * manifest's when the model is installed in a registry folder (the manifest beside the GGUF,
     * or in the folder), else those in the GGUF's metadata, else {@link #NONE}. Unreadable
     * manifests or metadata give {@link #NONE}: defaults are advice, never a reason to refuse a model.
     */
    public static ModelDefaults forModel(Path model) {
        if (model == null) return NONE;
        Path abs = model.toAbsolutePath().normalize();
        Path folder = Files.isDirectory(abs) ? abs : abs.getParent();
        if (folder == null) return NONE;
        Path manifest = folder.resolve(ModelManifest.FILE_NAME);
        if (Files.isRegularFile(manifest)) {
            try {
                ModelManifest m = ModelManifest.read(manifest);
                if (folder.resolve(m.entry()).normalize().equals(abs) && !m.defaults().isEmpty()) return m.defaults();
            } catch (IOException | RuntimeException e) {
                // fall through to the GGUF's own metadata
            }
        }
        if (Files.isRegularFile(abs) && abs.getFileName().toString().endsWith(".gguf")) {
            try (mmgp.gguf.GgufFile gguf = mmgp.gguf.GgufFile.open(abs)) {
                return read(gguf.metadata());
            } catch (IOException | RuntimeException e) {
                return NONE;
            }
        }
        return NONE;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelDefaults d && java.util.Objects.equals(steps, d.steps) && Arrays.equals(timesteps, d.timesteps)
                && java.util.Objects.equals(guidance, d.guidance) && java.util.Objects.equals(decodeTimestep, d.decodeTimestep)
                && java.util.Objects.equals(decodeNoiseScale, d.decodeNoiseScale) && distilled == d.distilled;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(steps, Arrays.hashCode(timesteps), guidance, decodeTimestep, decodeNoiseScale, distilled);
    }

    @Override
    public String toString() {
        return "ModelDefaults[steps=" + steps + ", timesteps=" + Arrays.toString(timesteps) + ", guidance=" + guidance
                + ", decodeTimestep=" + decodeTimestep + ", decodeNoiseScale=" + decodeNoiseScale + ", distilled=" + distilled + "]";
    }
}
