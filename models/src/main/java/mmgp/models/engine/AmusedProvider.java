package mmgp.models.engine;

import java.io.IOException;
import java.nio.file.Path;
import mmgp.api.Task;
import mmgp.engine.spi.BatchModel;
import mmgp.engine.spi.ModelProvider;
import mmgp.models.amused.AmusedConverter;
import mmgp.models.amused.AmusedModel;

/** aMUSEd (text → image) for the engine: a GGUF from {@code mmgp convert --model amused} or the diffusers folder. */
public final class AmusedProvider implements ModelProvider {
    @Override
    public Task task() {
        return Task.IMAGE;
    }

    @Override
    public String family() {
        return "amused";
    }

    @Override
    public boolean canOpen(Path model) {
        return ModelDetection.isModel(model, "AmusedPipeline", AmusedConverter.ARCH);
    }

    @Override
    public BatchModel<?, ?> open(Path model, int threads) throws IOException {
        return CpuModelOpener.open(model, threads, AmusedModel::open, AmusedBatchModel::new);
    }
}
