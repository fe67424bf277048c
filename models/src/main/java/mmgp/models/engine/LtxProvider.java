package mmgp.models.engine;

import java.io.IOException;
import java.nio.file.Path;
import mmgp.api.Task;
import mmgp.engine.spi.BatchModel;
import mmgp.models.ltx.LtxConverter;
import mmgp.models.ltx.LtxModel;

/** LTX-Video (text → video) for the engine: a GGUF from {@code mmgp convert --model ltx} or the diffusers folder. */
public final class LtxProvider extends DiffusersProvider {
    public LtxProvider() {
        super(Task.VIDEO, "ltx-video", "LTXPipeline", LtxConverter.ARCH);
    }

    @Override
    public BatchModel<?, ?> open(Path model, int threads) throws IOException {
        // The model's recommended steps/guidance/decode settings: its registry manifest, else its GGUF metadata.
        mmgp.registry.ModelDefaults defaults = mmgp.registry.ModelDefaults.forModel(model);
        return CpuModelOpener.open(model, threads, LtxModel::open, (m, backend) -> new LtxBatchModel(m, backend, defaults));
    }
}
