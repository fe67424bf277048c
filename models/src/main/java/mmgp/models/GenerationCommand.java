package mmgp.models;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import mmgp.api.Task;
import mmgp.bindings.NativeLibraries;
import mmgp.cli.ProgressBar;
import mmgp.cli.RegistryOption;
import mmgp.cli.ThreadsOption;
import picocli.CommandLine.Mixin;

/**
 * A verb that runs one model once (image, video, understand): what is given is checked before any
 * work, the model is found ({@code --model}, else the registry's), loaded as the progress bar's
 * "load" stage, run and closed. A failure is an exception whose message is the sentence the CLI
 * prints (exit 1); success is exit 0.
 *
 * @param <M> what loading gives and closing releases
 */
public abstract class GenerationCommand<M extends AutoCloseable> implements Callable<Integer> {
    @Mixin
    protected RegistryOption registry = new RegistryOption();

    @Mixin
    protected ThreadsOption threads = new ThreadsOption();

    private final Task task;

    /** @param task the task whose installed model is the default */
    protected GenerationCommand(Task task) {
        this.task = task;
    }

    protected final Task task() {
        return task;
    }

    /** The {@code --model} given, else null. */
    protected abstract Path explicitModel();

    protected abstract boolean quiet();

    /** Checks of the arguments and outputs that need no model, so a mistake costs no load. */
    protected abstract void checkArguments() throws Exception;

    /** Checks and settings that depend on the model found (its recommended defaults), still before it loads. */
    protected void prepare(Path model) throws Exception {}

    protected abstract M load(Path model, ProgressBar bar) throws Exception;

    protected abstract void run(M loaded, ProgressBar bar, double loadSeconds) throws Exception;

    /**
     * The API fields this verb's options set, by the names the records' checks use
     * ({@code "max_new_tokens"} → {@code "--max-tokens"}): a refused value is reported by its option.
     */
    protected Map<String, String> optionNames() {
        return Map.of();
    }

    @Override
    public final Integer call() throws Exception {
        return OptionNames.named(optionNames(), this::generate);
    }

    private Integer generate() throws Exception {
        checkArguments();
        Path model = ModelLocator.require(task, explicitModel(), registry.folder());
        prepare(model);
        NativeLibraries.get();
        ProgressBar bar = new ProgressBar(System.err, quiet());
        bar.stageStarted("load");
        long t0 = System.nanoTime();
        try (bar; M loaded = load(model, bar)) {
            double load = (System.nanoTime() - t0) / 1e9;
            bar.stage("load", load);
            run(loaded, bar, load);
        }
        return 0;
    }
}
