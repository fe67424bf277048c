package mmgp.cli.service;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import mmgp.api.Task;
import mmgp.cli.ModelPathOptions;
import mmgp.cli.RegistryOption;
import mmgp.registry.ModelRegistry;
import picocli.CommandLine.Mixin;

/** The model options of the verbs that serve several tasks (serve, worker): explicit paths, else the registry's. */
final class ModelChoice {
    @Mixin
    RegistryOption registry = new RegistryOption();

    @Mixin
    ModelPathOptions paths = new ModelPathOptions();

    /** What {@code task}'s explicitly given model lacks (--video-text-encoder), or null. */
    Path companion(Task task) {
        Path encoder = paths.videoTextEncoder();
        return task == Task.VIDEO ? encoder : null;
    }

    /** Explicit paths first; for the other tasks, the registry's installed model when there is exactly one (or a default). */
    Map<Task, Path> choose() throws Exception {
        return choose(Set.of());
    }

    /**
     * As {@link #choose()}, leaving out {@code elsewhere}: tasks configured otherwise (by --ab), for which
     * the registry is not asked (several installed models of the task are then no error) and an explicit
     * path is a conflict.
     */
    Map<Task, Path> choose(Set<Task> elsewhere) throws Exception {
        Map<Task, Path> chosen = new EnumMap<>(Task.class);
        for (Task t : Task.values()) {
            if (paths.given(t) != null) chosen.put(t, paths.given(t));
        }
        for (Task t : elsewhere) {
            if (chosen.containsKey(t)) {
                throw new IllegalArgumentException(ModelPathOptions.option(t) + " and --ab " + t.label() + "=… both choose the " + t.label() + " model: give one of them");
            }
        }
        ModelRegistry installed = registry.open();
        for (Task t : Task.values()) {
            if (!chosen.containsKey(t) && !elsewhere.contains(t)) installed.installed(t).ifPresent(m -> chosen.put(t, m.entryPoint()));
        }
        return chosen;
    }
}
