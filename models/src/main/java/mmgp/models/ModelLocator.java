package mmgp.models;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import mmgp.api.Task;
import mmgp.registry.ModelRegistry;

/**
 * Finds the model a verb uses when no {@code --model} is given: the registry's installed model
 * for the task (what {@code mmgp pull} installs), else a file or folder of the conventional name
 * directly in the models folder (what earlier versions told users to convert into).
 */
public final class ModelLocator {
    private ModelLocator() {}

    /** The conventional flat names in the models folder, per task. */
    static String flatName(Task task) {
        return switch (task) {
            case IMAGE -> "amused-256.gguf";
            case VIDEO -> "ltx-video.gguf";
            case UNDERSTAND -> "smolvlm2-256m";
        };
    }

    /** The catalog name to suggest to {@code mmgp pull} for a task. */
    public static String pullName(Task task) {
        return switch (task) {
            case IMAGE -> "amused-256";
            case VIDEO -> "ltx-video";
            case UNDERSTAND -> "smolvlm2-256m";
        };
    }

    /** The installed model for {@code task} under {@code modelsRoot} (null: MMGP_MODELS or ~/.cache/mmgp/models). */
    public static Optional<Path> installed(Task task, Path modelsRoot) throws IOException {
        ModelRegistry registry = ModelRegistry.open(modelsRoot);
        Optional<Path> registered = registry.installed(task).map(m -> m.entryPoint());
        if (registered.isPresent()) return registered;
        Path flat = registry.root().resolve(flatName(task));
        if (!Files.exists(flat)) return Optional.empty();
        // A registry folder named like the flat file (smolvlm2-256m/) without a manifest is a plain converted folder: fine.
        return Optional.of(flat);
    }

    /** {@code explicit} when given, else the installed model; an error saying how to get one when there is none. */
    public static Path require(Task task, Path explicit, Path modelsRoot) throws IOException {
        return require(task, explicit, modelsRoot, "--model");
    }

    /** As {@link #require(Task, Path, Path)}, for a verb whose option giving the model is {@code option}. */
    public static Path require(Task task, Path explicit, Path modelsRoot, String option) throws IOException {
        if (explicit != null) {
            if (!Files.exists(explicit)) throw new IllegalArgumentException("no " + task.label() + " model at " + explicit + " (" + option + ")");
            return explicit;
        }
        return installed(task, modelsRoot).orElseThrow(() -> new IllegalArgumentException("no " + task.label() + " model installed in "
                + ModelRegistry.open(modelsRoot).root() + ": run ./mmgp pull " + pullName(task) + ", or convert a downloaded checkpoint with ./mmgp convert, or pass " + option));
    }
}
