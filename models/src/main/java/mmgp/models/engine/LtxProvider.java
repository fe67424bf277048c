package mmgp.models.engine;

import java.io.IOException;
import java.nio.file.Path;
import mmgp.api.Task;
import mmgp.engine.spi.BatchModel;
import mmgp.engine.spi.ModelProvider;
import mmgp.models.ltx.LtxConverter;
import mmgp.models.ltx.LtxModel;

/** LTX-Video (text → video) for the engine: a GGUF from {@code mmgp convert --model ltx} or the diffusers folder. */
public final class LtxProvider implements ModelProvider {
    @Override
    public Task task() {
        return Task.VIDEO;
    }

    @Override
    public String family() {
        return "ltx-video";
    }

    @Override
    public boolean canOpen(Path model) {
        return ModelDetection.isModel(model, "LTXPipeline", LtxConverter.ARCH);
    }

    @Override
    public BatchModel<?, ?> open(Path model, int threads) throws IOException {
        // The model's recommended steps/guidance/decode settings: its registry manifest, else its GGUF metadata.
        mmgp.registry.ModelDefaults defaults = mmgp.registry.ModelDefaults.forModel(model);
        return CpuModelOpener.open(model, threads, LtxModel::open, (m, backend) -> new LtxBatchModel(m, backend, defaults));
    }
}
