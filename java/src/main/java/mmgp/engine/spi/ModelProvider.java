package mmgp.engine.spi;

import java.io.IOException;
import java.nio.file.Path;
import mmgp.api.Task;
import mmgp.graph.Numerics;

/**
 * Opens one model family for the engine; found with {@link java.util.ServiceLoader} (the model
 * implementations live in the models module). The result of {@link #open} is a
 * {@code BatchModel<UnderstandRequest, UnderstandResult>}, {@code BatchModel<ImageRequest, ImageResult>}
 * or {@code BatchModel<VideoRequest, VideoResult>} for the tasks UNDERSTAND, IMAGE and VIDEO.
 */
public interface ModelProvider {
    Task task();

    /** Short family name: "smolvlm2", "amused", "ltx-video". */
    String family();

    /** True when {@code model} (a GGUF file or a model folder) is a model of this family. */
    boolean canOpen(Path model);

    /**
     * Loads the model; {@code threads} 0 means one per core. {@code numerics} chooses the kernel
     * routes of its computations, as {@code --numerics} does for the CLI's generation verbs:
     * {@link Numerics#FAST} the fastest measured route per op within the README's error bounds,
     * {@link Numerics#EXACT} fp32 wherever the reference computes in fp32 (the golden tests' route).
     */
    BatchModel<?, ?> open(Path model, int threads, Numerics numerics) throws IOException;

    /**
     * Loads a model whose checkpoint lacks components that {@code companion} holds (e.g. an
     * LTX-Video single file or ComfyUI GGUF transformer with a T5 text encoder source); null
     * means none. Families that take no companion refuse one.
     */
    default BatchModel<?, ?> open(Path model, Path companion, int threads, Numerics numerics) throws IOException {
        if (companion != null) throw new IllegalArgumentException(family() + " models take no companion source (" + companion + "); give the model alone");
        return open(model, threads, numerics);
    }
}
