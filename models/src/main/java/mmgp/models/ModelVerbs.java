package mmgp.models;

import java.util.List;
import mmgp.cli.VerbProvider;
import mmgp.models.amused.ImageCommand;
import mmgp.models.ltx.VideoCommand;
import mmgp.models.smolvlm.UnderstandCommand;

/** Registers the verbs that run the models (image, video, understand, pipeline, demo, random-weights) with the CLI. */
public final class ModelVerbs implements VerbProvider {
    @Override
    public List<Object> commands() {
        return List.of(new ImageCommand(), new VideoCommand(), new UnderstandCommand(), new PipelineCommand(), new DemoCommand(), new RandomWeightsCommand());
    }
}
