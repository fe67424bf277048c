package mmgp.models.engine;

import java.io.IOException;
import java.nio.file.Path;
import mmgp.api.Task;
import mmgp.engine.spi.BatchModel;
import mmgp.graph.Numerics;
import mmgp.models.CpuModel;
import mmgp.models.ltx.LtxConverter;
import mmgp.models.ltx.LtxModel;

/**
 * LTX-Video (text → video) for the engine: a GGUF from {@code mmgp convert --model ltx}, the
 * diffusers folder, or a one-file checkpoint (Lightricks single file, ComfyUI GGUF transformer)
 * with a T5 text encoder source as its companion.
 */
public final class LtxProvider extends DiffusersProvider {
    public LtxProvider() {
        super(Task.VIDEO, "ltx-video", "LTXPipeline", LtxConverter.ARCH);
    }

    @Override
    public boolean canOpen(Path model) {
        return super.canOpen(model) || ModelDetection.isLtxCheckpointFile(model);
    }

    @Override
    public BatchModel<?, ?> open(Path model, int threads, Numerics numerics) throws IOException {
        return open(model, null, threads, numerics);
    }

    @Override
    public BatchModel<?, ?> open(Path model, Path companion, int threads, Numerics numerics) throws IOException {
        CpuModel.Loader<LtxModel> loader = companion == null ? LtxModel::open : (file, backend) -> LtxModel.open(file, companion, backend);
        return CpuModelOpener.open(model, threads, numerics, loader, (m, backend) -> new LtxBatchModel(m, backend));
    }
}
