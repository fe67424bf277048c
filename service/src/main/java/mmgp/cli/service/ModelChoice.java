package mmgp.cli.service;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import mmgp.api.Task;
import mmgp.cli.RegistryOption;
import mmgp.registry.ModelRegistry;
import picocli.CommandLine.Option;

/** The model options of the verbs that serve several tasks (serve, worker): explicit paths, else the registry's. */
final class ModelChoice {
    @picocli.CommandLine.Mixin
    RegistryOption registry = new RegistryOption();

    @Option(names = "--image-model", description = "Image model (GGUF file or model folder).")
    Path imageModel;

    @Option(names = "--video-model", description = "Video model (GGUF file or model folder).")
    Path videoModel;

    @Option(names = "--video-text-encoder", paramLabel = "SOURCE", description = "With a one-file --video-model (an LTX-Video single file or "
            + "ComfyUI GGUF transformer): the diffusers LTX-Video folder or mmgp LTX-Video GGUF holding its T5 encoder, tokenizer, scheduler (and VAE).")
    Path videoTextEncoder;

    @Option(names = "--understand-model", description = "Video understanding model (GGUF file or model folder).")
    Path understandModel;

    /** What {@code task}'s explicitly given model lacks (--video-text-encoder), or null. */
    Path companion(Task task) {
        if (videoTextEncoder != null && videoModel == null) {
            throw new IllegalArgumentException("--video-text-encoder goes with a one-file --video-model (a single file or ComfyUI GGUF)");
        }
        return task == Task.VIDEO ? videoTextEncoder : null;
    }

    /** Explicit paths first; for the other tasks, the registry's installed model when there is exactly one (or a default). */
    Map<Task, Path> choose() throws Exception {
        return choose(java.util.Set.of());
    }

    /**
     * As {@link #choose()}, leaving out {@code elsewhere}: tasks configured otherwise (by --ab), for which
     * the registry is not asked (several installed models of the task are then no error) and an explicit
     * path is a conflict.
     */
    Map<Task, Path> choose(java.util.Set<Task> elsewhere) throws Exception {
        Map<Task, Path> chosen = new EnumMap<>(Task.class);
        if (understandModel != null) chosen.put(Task.UNDERSTAND, understandModel);
        if (imageModel != null) chosen.put(Task.IMAGE, imageModel);
        if (videoModel != null) chosen.put(Task.VIDEO, videoModel);
        for (Task t : elsewhere) {
            if (chosen.containsKey(t)) {
                throw new IllegalArgumentException("--" + t.label() + "-model and --ab " + t.label() + "=… both choose the " + t.label() + " model: give one of them");
            }
        }
        ModelRegistry installed = registry.open();
        for (Task t : Task.values()) {
            if (!chosen.containsKey(t) && !elsewhere.contains(t)) installed.installed(t).ifPresent(m -> chosen.put(t, m.entryPoint()));
        }
        return chosen;
    }
}
