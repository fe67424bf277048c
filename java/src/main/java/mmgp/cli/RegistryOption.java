package mmgp.cli;

import java.nio.file.Path;
import mmgp.registry.ModelRegistry;
import picocli.CommandLine.Option;

/** {@code --models}: the model registry folder of every verb that finds or installs models. */
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
