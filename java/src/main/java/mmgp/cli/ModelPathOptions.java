package mmgp.cli;

import java.nio.file.Path;
import mmgp.api.Task;
import picocli.CommandLine.Option;

/**
 * The explicit model of each task, for the verbs that use all three (pipeline, serve, worker); a task
 * given none gets the registry's installed model.
 */
public final class ModelPathOptions {
    @Option(names = "--understand-model", description = "Video understanding model (GGUF file or model folder; default: the installed one).")
    Path understandModel;

    @Option(names = "--image-model", description = "Image model (GGUF file or model folder; default: the installed one).")
    Path imageModel;

    @Option(names = "--video-model", description = "Video model (GGUF file or model folder; default: the installed one).")
    Path videoModel;

    @Option(names = "--video-text-encoder", paramLabel = "SOURCE", description = "With a one-file --video-model (an LTX-Video single file or "
            + "ComfyUI GGUF transformer): the diffusers LTX-Video folder or mmgp LTX-Video GGUF holding its T5 encoder, tokenizer, scheduler (and VAE).")
    Path videoTextEncoder;

    /** The model given for {@code task}, or null. */
    public Path given(Task task) {
        return switch (task) {
            case UNDERSTAND -> understandModel;
            case IMAGE -> imageModel;
            case VIDEO -> videoModel;
        };
    }

    /** The option that gives {@code task}'s model, e.g. "--image-model". */
    public static String option(Task task) {
        return "--" + task.label() + "-model";
    }

    /** What the given video model lacks (--video-text-encoder), or null; refused without a --video-model to go with. */
    public Path videoTextEncoder() {
        if (videoTextEncoder != null && videoModel == null) {
            throw new IllegalArgumentException("--video-text-encoder goes with a one-file --video-model (a single file or ComfyUI GGUF)");
        }
        return videoTextEncoder;
    }
}
