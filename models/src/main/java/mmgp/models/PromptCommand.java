package mmgp.models;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToIntFunction;
import mmgp.api.StageTimings;
import mmgp.api.Task;
import mmgp.cli.NumericsOption;
import mmgp.cli.OutputFiles;
import mmgp.cli.ProgressBar;
import mmgp.cli.QuietOption;
import mmgp.graph.ComputeBackend;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A verb that generates files from a batch of prompts with a ggml pipeline (image, video): the
 * prompt options, the kernel routes, a CPU backend that lives as long as the model, and the
 * reports every such verb prints (the batch, over-long prompts, each file written, timings).
 *
 * @param <M> the model, opened on the backend
 */
public abstract class PromptCommand<M extends AutoCloseable> extends GenerationCommand<CpuModel<M>> {
    @Option(names = {"-p", "--prompt"}, required = true, description = "The prompt; repeat for several ${COMMAND-NAME}s in one batch.")
    protected List<String> prompts;

    @Option(names = "--negative-prompt", defaultValue = "", description = "What the ${COMMAND-NAME} should not show (guidance only).")
    protected String negativePrompt;

    @Mixin
    protected NumericsOption numerics = new NumericsOption();

    @Mixin
    protected QuietOption quiet = new QuietOption();

    /** Writes output {@code index} of the batch to {@code file}; returns what to add to the "wrote" line. */
    protected interface OutputWriter {
        String write(int index, Path file) throws Exception;
    }

    private final CpuModel.Loader<M> loader;

    protected PromptCommand(Task task, CpuModel.Loader<M> loader) {
        super(task);
        this.loader = loader;
    }

    /** Runs the batch on the loaded model and writes its files. */
    protected abstract void generate(M model, ComputeBackend backend, ProgressBar bar, double loadSeconds) throws Exception;

    @Override
    protected final boolean quiet() {
        return quiet.quiet();
    }

    @Override
    protected final CpuModel<M> load(Path model, ProgressBar bar) throws Exception {
        return CpuModel.open(model, threads.threads(), numerics.numerics(), loader());
    }

    /** How the model file is opened on its backend: the constructor's loader, unless a verb's options change it. */
    protected CpuModel.Loader<M> loader() {
        return loader;
    }

    @Override
    protected final void run(CpuModel<M> loaded, ProgressBar bar, double loadSeconds) throws Exception {
        generate(loaded.model(), loaded.backend(), bar, loadSeconds);
    }

    /** Notes the batch before it runs: "2 images 256×256, 12 steps…, numerics fast". */
    protected void noteBatch(ProgressBar bar, String settings) {
        String what = task().label() + (prompts.size() == 1 ? "" : "s");
        bar.note(prompts.size() + " " + what + " " + settings + ", numerics " + numerics.label());
    }

    /**
     * Warns of each prompt whose {@code tokens} exceed {@code room}: the text encoder does not read
     * the rest. {@code reads} says so, with a {@code %d} for the room.
     */
    protected void warnLongPrompts(ProgressBar bar, ToIntFunction<String> tokens, int room, String reads) {
        for (int i = 0; i < prompts.size(); i++) {
            int n = tokens.applyAsInt(prompts.get(i));
            if (n > room) {
                bar.note(String.format(Locale.ROOT, "warning: prompt %d is %d tokens; " + reads + ", the rest has no effect", i + 1, n, room));
            }
        }
    }

    /** Writes the batch's outputs, {@code out} for one, else out-1, out-2…, and says each. */
    protected static void writeEach(Path out, int batch, OutputWriter writer) throws Exception {
        for (int i = 0; i < batch; i++) {
            Path file = OutputFiles.numbered(out, i, batch);
            System.out.println("wrote " + file + writer.write(i, file));
        }
    }

    protected static void printTimings(double loadSeconds, StageTimings timings) {
        System.out.printf("timings: load %.3f s, %s (total %.3f s)%n", loadSeconds, timings, loadSeconds + timings.total());
    }
}
