package mmgp.cli;

import java.nio.file.Path;
import mmgp.registry.ModelRegistry;
import picocli.CommandLine.Option;

/** {@code --models}: the model registry folder, shared by the verbs that find or install models (models keeps its own, inherited by its subcommands). */
public final class RegistryOption {
    @Option(names = "--models", description = "Model registry folder (default: $" + ModelRegistry.ENV + ", else ~/.cache/mmgp/models).")
    Path models;

    /** The folder as given; null: the default ({@link ModelRegistry#open}). */
    public Path folder() {
        return models;
    }

    public ModelRegistry open() {
        return ModelRegistry.open(models);
    }
}
