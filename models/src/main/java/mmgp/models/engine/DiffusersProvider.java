package mmgp.models.engine;

import java.nio.file.Path;
import mmgp.api.Task;
import mmgp.engine.spi.ModelProvider;

/**
 * A provider for a diffusers pipeline family: it opens the diffusers folder whose model_index.json names
 * {@code pipelineClass}, or a GGUF that mmgp's converter wrote with {@code general.architecture = arch}.
 * A subclass says how to open the model.
 */
abstract class DiffusersProvider implements ModelProvider {
    private final Task task;
    private final String family;
    private final String pipelineClass;
    private final String arch;

    DiffusersProvider(Task task, String family, String pipelineClass, String arch) {
        this.task = task;
        this.family = family;
        this.pipelineClass = pipelineClass;
        this.arch = arch;
    }

    @Override
    public final Task task() {
        return task;
    }

    @Override
    public final String family() {
        return family;
    }

    @Override
    public final boolean canOpen(Path model) {
        return ModelDetection.isModel(model, pipelineClass, arch);
    }
}
