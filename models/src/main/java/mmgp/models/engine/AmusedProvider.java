package mmgp.models.engine;

import java.io.IOException;
import java.nio.file.Path;
import mmgp.api.Task;
import mmgp.engine.spi.BatchModel;
import mmgp.graph.Numerics;
import mmgp.models.amused.AmusedConverter;
import mmgp.models.amused.AmusedModel;

/** aMUSEd (text → image) for the engine: a GGUF from {@code mmgp convert --model amused} or the diffusers folder. */
public final class AmusedProvider extends DiffusersProvider {
    public AmusedProvider() {
        super(Task.IMAGE, "amused", "AmusedPipeline", AmusedConverter.ARCH);
    }

    @Override
    public BatchModel<?, ?> open(Path model, int threads, Numerics numerics) throws IOException {
        return CpuModelOpener.open(model, threads, numerics, AmusedModel::open, AmusedBatchModel::new);
    }
}
