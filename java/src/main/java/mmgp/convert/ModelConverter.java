package mmgp.convert;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Turns one kind of Hugging Face checkpoint into a GGUF plan: tensor names, shapes, type rules
 * and metadata. Models register theirs through {@code META-INF/services/mmgp.convert.ModelConverter}.
 */
public interface ModelConverter {
    /** The name used with {@code mmgp convert --model}. */
    String id();

    String description();

    /** Adds this model's type rules to {@code policy} (e.g. keep embeddings F16) before planning. */
    default void adjust(TypePolicy policy) {}

    void plan(HfCheckpoint checkpoint, ConversionPlan plan) throws IOException;

    /**
     * Plans the conversion of a checkpoint that is one file (e.g. a single-file or GGUF
     * checkpoint), with {@code companion} (or null) holding the components the file lacks. The
     * returned resources stay open until the plan is written; converters that only take folders
     * refuse files.
     */
    default AutoCloseable planFile(java.nio.file.Path file, java.nio.file.Path companion, ConversionPlan plan) throws IOException {
        throw new IllegalArgumentException(file + " is a file; converter '" + id() + "' takes a checkpoint folder");
    }

    /**
     * True for models whose GGUF carries recommended generation settings ({@code mmgp.defaults.*},
     * {@code mmgp convert --defaults}); such a converter may record ones it reads from the
     * checkpoint when the plan has none yet.
     */
    default boolean takesDefaults() {
        return false;
    }

    /** True for models that become several files (e.g. llama.cpp's text model + mmproj); they convert through {@link #convertInto}. */
    default boolean writesDirectory() {
        return false;
    }

    /** Writes every file of the model into {@code outDir} and returns them; only for {@link #writesDirectory()} converters. */
    default java.util.List<java.nio.file.Path> convertInto(HfCheckpoint checkpoint, TypePolicy policy, java.nio.file.Path outDir) throws IOException {
        throw new UnsupportedOperationException(id() + " writes a single file; use plan()");
    }

    /** Every converter on the class path, the built-in raw one first. */
    static List<ModelConverter> available() {
        List<ModelConverter> all = new ArrayList<>();
        all.add(new RawConverter());
        ServiceLoader.load(ModelConverter.class).forEach(all::add);
        return all;
    }

    static ModelConverter byId(String id) {
        List<ModelConverter> all = available();
        return all.stream().filter(c -> c.id().equals(id)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "unknown model '" + id + "'; known: " + all.stream().map(ModelConverter::id).toList()));
    }
}
