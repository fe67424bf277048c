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

    static <M extends AutoCloseable> BatchModel<?, ?> open(Path model, int threads, CpuModel.Loader<M> loader,
                                                          BiFunction<M, ComputeBackend, BatchModel<?, ?>> wrap) throws IOException {
        // Served models take the fastest measured kernel routes; the README states their error against the fp32 goldens.
        CpuModel<M> opened = CpuModel.open(model, threads, Numerics.FAST, loader);
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
