package mmgp.models.engine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.BiFunction;
import mmgp.engine.spi.BatchModel;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Numerics;

/** Opens a ggml-graph model on its own CPU backend, closing whatever was opened when a later step fails. */
final class CpuModelOpener {
    private CpuModelOpener() {}

    /** How a model family loads its weights onto a backend (e.g. {@code AmusedModel::open}). */
    interface Loader<M> {
        M open(Path model, ComputeBackend backend) throws IOException;
    }

    static <M extends AutoCloseable> BatchModel<?, ?> open(Path model, int threads, Loader<M> loader,
                                                          BiFunction<M, ComputeBackend, BatchModel<?, ?>> wrap) throws IOException {
        // Served models take the fastest measured kernel routes; the README states their error against the fp32 goldens.
        ComputeBackend backend = ComputeBackend.cpu(threads, Numerics.FAST);
        M opened = null;
        try {
            opened = loader.open(model, backend);
            return wrap.apply(opened, backend);
        } catch (IOException | RuntimeException e) {
            if (opened != null) {
                try {
                    opened.close(); // the wrapper failed: don't leak the mapped weights
                } catch (Exception closing) {
                    e.addSuppressed(closing);
                }
            }
            backend.close();
            throw e;
        }
    }

    /** Closes what {@link #open} opened: the model first, then its backend, even when the model's close fails. */
    static void close(AutoCloseable model, ComputeBackend backend) throws Exception {
        try {
            model.close();
        } finally {
            backend.close();
        }
    }
}
