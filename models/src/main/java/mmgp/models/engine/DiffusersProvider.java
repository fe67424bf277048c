package mmgp.models.engine;

import java.nio.file.Path;
import mmgp.api.Task;
import mmgp.engine.spi.ModelProvider;

/**
 * A provider for a diffusers pipeline family: it opens the diffusers folder whose model_index.json names
 * {@code pipelineClass}, or a GGUF that mmgp's converter wrote with {@code general.architecture = arch}.
 * A subclass says how to open the model, and may recognise more forms of it.
 */
abstract class DiffusersProvider implements ModelProvider {
    /** The family's identity: its task and name, and how its diffusers folder and GGUF are recognised. */
    private record Family(Task task, String name, String pipelineClass, String arch) {}

    private final Family family;

    DiffusersProvider(Task task, String family, String pipelineClass, String arch) {
        this.family = new Family(task, family, pipelineClass, arch);
    }

    @Override
    public final Task task() {
        return family.task();
    }

    @Override
    public final String family() {
        return family.name();
    }

    @Override
    public boolean canOpen(Path model) {
        return ModelDetection.isModel(model, family.pipelineClass(), family.arch());
    }
}
