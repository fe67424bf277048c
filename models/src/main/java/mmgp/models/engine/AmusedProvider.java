package mmgp.models.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import mmgp.api.Task;
import mmgp.engine.spi.BatchModel;
import mmgp.engine.spi.ModelProvider;
import mmgp.graph.ComputeBackend;
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
        return Files.isDirectory(model)
                ? "AmusedPipeline".equals(ModelDetection.diffusersPipelineClass(model))
                : AmusedConverter.ARCH.equals(ModelDetection.ggufArchitecture(model));
    }

    @Override
    public BatchModel<?, ?> open(Path model, int threads) throws IOException {
        ComputeBackend backend = ComputeBackend.cpu(threads);
        try {
            return new AmusedBatchModel(AmusedModel.open(model, backend), backend);
        } catch (IOException | RuntimeException e) {
            backend.close();
            throw e;
        }
    }
}
