package mmgp.engine;

import static java.util.stream.Collectors.joining;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import mmgp.api.Task;
import mmgp.engine.spi.ModelProvider;

/** Finds the model family that opens a given path for a task. */
final class ProviderSelection {
    private static final System.Logger LOG = System.getLogger(ProviderSelection.class.getName());
    private ProviderSelection() {}

    /** The explicitly added providers first (so a test or an embedding app can override), then the installed ones. */
    static List<ModelProvider> available(List<ModelProvider> explicit) {
        List<ModelProvider> all = new ArrayList<>(explicit);
        ServiceLoader.load(ModelProvider.class).forEach(all::add);
        return all;
    }

    static ModelProvider choose(Task task, Path model, List<ModelProvider> providers) {
        for (ModelProvider provider : providers) {
            if (provider.task() == task && recognises(provider, model)) return provider;
        }
        String known = providers.stream().map(p -> p.family() + " (" + p.task().label() + ")").distinct().collect(joining(", "));
        throw new IllegalArgumentException("no model family recognises " + model + " for task " + task.label()
                + "; known families: " + (known.isEmpty() ? "none (no model provider is installed)" : known));
    }

    /** A provider that throws while sniffing a file does not recognise it (logged); the next one gets its chance. */
    private static boolean recognises(ModelProvider provider, Path model) {
        try {
            return provider.canOpen(model);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "model family " + provider.family() + " failed while looking at " + model + "; taken as not its model", e);
            return false;
        }
    }
}
