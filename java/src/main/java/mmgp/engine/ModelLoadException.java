package mmgp.engine;

import java.nio.file.Path;
import mmgp.api.Task;

/**
 * A task's model could not be opened. The queued requests of that task fail with it; the engine
 * does not remember the failure, so the next request tries to load again.
 */
public final class ModelLoadException extends RuntimeException {
    private final Task task;
    private final transient Path model;

    public ModelLoadException(Task task, Path model, String family, Throwable cause) {
        super("could not load the " + task.label() + " model " + model + " (" + family + "): " + describe(cause), cause);
        this.task = task;
        this.model = model;
    }

    public Task task() {
        return task;
    }

    public Path model() {
        return model;
    }

    private static String describe(Throwable cause) {
        String message = cause.getMessage();
        return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
    }
}
