package mmgp.cli.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import mmgp.graph.Numerics;
import mmgp.models.DemoCommand;
import mmgp.models.PipelineCommand;
import mmgp.models.amused.ImageCommand;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The verbs that open their models through the engine (serve, worker, pipeline, demo) take
 * {@code --numerics} as image and video do: the same option, help and default, the choice parsed,
 * anything else refused naming the accepted values.
 */
class NumericsOptionTest {
    /** Each verb with the arguments it requires. */
    private static final Map<String, Map.Entry<Supplier<Object>, List<String>>> VERBS = Map.of(
            "serve", Map.entry(ServeCommand::new, List.of()),
            "worker", Map.entry(WorkerCommand::new, List.of("--cluster", "cluster.properties")),
            "pipeline", Map.entry(PipelineCommand::new, List.of("clip.mp4")),
            "demo", Map.entry(DemoCommand::new, List.of()));

    @Test
    void everyEngineVerbTakesTheNumericsOptionOfTheGenerationVerbs() {
        OptionSpec image = new CommandLine(new ImageCommand()).getCommandSpec().findOption("--numerics");
        VERBS.forEach((verb, made) -> {
            assertThat(numerics(made, List.of()).defaultValue()).as(verb).isEqualTo(image.defaultValue()).isEqualTo("fast");
            assertThat(numerics(made, List.of()).description()).as(verb).isEqualTo(image.description());
            assertThat((Numerics) numerics(made, List.of()).getValue()).as(verb).isEqualTo(Numerics.FAST);
            assertThat((Numerics) numerics(made, List.of("--numerics", "exact")).getValue()).as(verb).isEqualTo(Numerics.EXACT);
            assertThatThrownBy(() -> numerics(made, List.of("--numerics", "turbo"))).as(verb)
                    .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("numerics must be exact or fast, got \"turbo\"");
        });
    }

    /** The verb's --numerics after parsing its required arguments and {@code extra}. */
    private static OptionSpec numerics(Map.Entry<Supplier<Object>, List<String>> verb, List<String> extra) {
        CommandLine line = new CommandLine(verb.getKey().get());
        List<String> args = new ArrayList<>(verb.getValue());
        args.addAll(extra);
        line.parseArgs(args.toArray(String[]::new));
        return line.getCommandSpec().findOption("--numerics");
    }
}
