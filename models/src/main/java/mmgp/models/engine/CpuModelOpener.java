package mmgp.models.engine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.BiFunction;
import mmgp.engine.spi.BatchModel;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Numerics;
import mmgp.models.CpuModel;

/** Opens a ggml-graph model on its own CPU backend, closing whatever was opened when a later step fails. */
final class CpuModelOpener {
    private CpuModelOpener() {}

    /** Opens {@code model} with {@code loader} on a backend of {@code threads} and {@code numerics}, then wraps it for the engine. */
    static <M extends AutoCloseable> BatchModel<?, ?> open(Path model, int threads, Numerics numerics, CpuModel.Loader<M> loader,
                                                          BiFunction<M, ComputeBackend, BatchModel<?, ?>> wrap) throws IOException {
        CpuModel<M> opened = CpuModel.open(model, threads, numerics, loader);
        try {
            return wrap.apply(opened.model(), opened.backend());
        } catch (RuntimeException e) {
            try {
                opened.close(); // the wrapper failed: don't leak the mapped weights
            } catch (Exception closing) {
                e.addSuppressed(closing);
            }
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
