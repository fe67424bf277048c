package mmgp.engine.spi;

import java.io.IOException;
import java.nio.file.Path;
import mmgp.api.Task;

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

    /** Loads the model; {@code threads} 0 means one per core. */
    BatchModel<?, ?> open(Path model, int threads) throws IOException;
}
