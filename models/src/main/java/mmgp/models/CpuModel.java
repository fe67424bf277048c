package mmgp.models;

import java.io.IOException;
import java.nio.file.Path;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Numerics;

/**
 * A ggml-graph model opened on a CPU backend of its own: the backend lives exactly as long as the
 * model, and closes when the model fails to open, so a bad file leaks neither.
 */
public record CpuModel<M extends AutoCloseable>(ComputeBackend backend, M model) implements AutoCloseable {
    /** How a model family loads its weights onto a backend (e.g. {@code AmusedModel::open}). */
    public interface Loader<M> {
        M open(Path model, ComputeBackend backend) throws IOException;
    }

    public static <M extends AutoCloseable> CpuModel<M> open(Path model, int threads, Numerics numerics, Loader<M> loader) throws IOException {
        ComputeBackend backend = ComputeBackend.cpu(threads, numerics);
        try {
            return new CpuModel<>(backend, loader.open(model, backend));
        } catch (IOException | RuntimeException | Error e) {
            try {
                backend.close();
            } catch (RuntimeException | Error closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /** The model, then its backend. */
    @Override
    public void close() throws Exception {
        try (backend; model) {
            // both closed by the try, the model first
        }
    }
}
