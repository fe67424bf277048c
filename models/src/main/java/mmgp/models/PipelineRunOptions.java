package mmgp.models;

import mmgp.api.UnderstandOptions;
import picocli.CommandLine.Option;

/** The options pipeline and demo share: the caption's length, the seed of the image and the video, and whether the video starts from the image. */
final class PipelineRunOptions {
    @Option(names = "--max-tokens", description = "Caption length limit (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the image and the video (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--no-video-from-image", description = "Film the caption from noise instead of starting the video from the generated image.")
    boolean noVideoFromImage;

    /** @param maxTokens the verb's default caption length */
    PipelineRunOptions(int maxTokens) {
        this.maxTokens = maxTokens;
    }

    /** The caption stage's options: the defaults but for the length. */
    UnderstandOptions caption() {
        return UnderstandOptions.defaults().withMaxNewTokens(maxTokens);
    }

    long seed() {
        return seed;
    }

    boolean videoFromImage() {
        return !noVideoFromImage;
    }
}
