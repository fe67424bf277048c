package mmgp.models.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import mmgp.gguf.GgufFile;

/**
 * Cheap looks at a model path for {@link mmgp.engine.spi.ModelProvider#canOpen}: a GGUF's
 * architecture (header only: the file is mapped, its weights never touched) and a diffusers
 * folder's pipeline class. Unreadable or foreign files answer "", never throw.
 */
final class ModelDetection {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final System.Logger LOG = System.getLogger(ModelDetection.class.getName());

    private ModelDetection() {}

    /** {@code general.architecture} of a GGUF file, or "" when {@code file} is not a readable GGUF. */
    /** A diffusers folder naming {@code pipelineClass}, or a GGUF file of architecture {@code ggufArchitecture}. */
    static boolean isModel(Path model, String pipelineClass, String ggufArchitecture) {
        return java.nio.file.Files.isDirectory(model)
                ? pipelineClass.equals(diffusersPipelineClass(model))
                : ggufArchitecture.equals(ggufArchitecture(model));
    }

    /**
     * A one-file LTX-Video checkpoint: a Lightricks single file (its header's tensor names) or a
     * ComfyUI-GGUF transformer (architecture {@code ltxv}); these open with a text encoder source.
     */
    static boolean isLtxCheckpointFile(Path file) {
        if (!Files.isRegularFile(file)) return false;
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".gguf")) return "ltxv".equals(ggufArchitecture(file));
        if (!name.endsWith(".safetensors")) return false;
        try (mmgp.safetensors.SafetensorsFile f = mmgp.safetensors.SafetensorsFile.open(file)) {
            return mmgp.models.ltx.LtxSingleFile.isLtxVideo(new java.util.HashSet<>(f.names()));
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "{0} is not a readable safetensors file: {1}", file, e.toString());
            return false;
        }
    }

    static String ggufArchitecture(Path file) {
        if (!Files.isRegularFile(file) || !file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf")) return "";
        try (GgufFile gguf = GgufFile.open(file)) {
            return gguf.metadata().getString("general.architecture", "");
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "{0} is not a readable GGUF: {1}", file, e.toString());
            return "";
        }
    }

    /** The {@code _class_name} of a diffusers folder's model_index.json ("AmusedPipeline", "LTXPipeline"), or "". */
    static String diffusersPipelineClass(Path folder) {
        JsonNode index = readJson(folder.resolve("model_index.json"));
        return index == null ? "" : index.path("_class_name").asText("");
    }

    /** A JSON file's tree, or null when it is missing or malformed. */
    static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) return null;
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "{0} is not readable JSON: {1}", file, e.toString());
            return null;
        }
    }
}
