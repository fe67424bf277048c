package mmgp.engine;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;
import mmgp.api.Task;
import mmgp.engine.spi.BatchModel;
import mmgp.engine.spi.ModelProvider;
import mmgp.graph.Numerics;

/**
 * The one copy of a task's model: opened on first use (by whichever thread asks first, the
 * others wait for it), shared by every request, closed with the engine. A failed load is not
 * remembered: the next request tries again.
 */
final class ModelSlot {
    private static final System.Logger LOG = System.getLogger(ModelSlot.class.getName());
    private final Task task;
    private final Path path;
    private final Path companion;
    private final ModelProvider provider;
    private final int threads;
    private final Numerics numerics;
    private final EngineListener listener;
    private final long memoryBudget;
    private final ReentrantLock loading = new ReentrantLock();
    private volatile BatchModel<?, ?> model;
    private boolean closed;

    /**
     * {@code companion}: what the checkpoint at {@code path} lacks ({@link ModelProvider#open(Path, Path, int, Numerics)}), or null;
     * {@code threads} and {@code numerics}: what the provider opens the model with; {@code memoryBudget}: the engine's budget
     * per batch (0: none), told to the model when it opens ({@link BatchModel#memoryBudget}).
     */
    ModelSlot(Task task, Path path, Path companion, ModelProvider provider, int threads, Numerics numerics, long memoryBudget, EngineListener listener) {
        this.numerics = java.util.Objects.requireNonNull(numerics, "numerics");
        this.companion = companion;
        this.memoryBudget = memoryBudget;
        this.task = task;
        this.path = path;
        this.provider = provider;
        this.threads = threads;
        this.listener = listener;
    }

    /** The model if it is loaded, else null (never loads). */
    BatchModel<?, ?> loadedOrNull() {
        return model;
    }

    /** The model, loading it first if needed. @throws ModelLoadException when the provider fails */
    BatchModel<?, ?> get() {
        BatchModel<?, ?> loaded = model;
        if (loaded != null) return loaded;
        loading.lock();
        try {
            if (closed) throw new IllegalStateException("engine is closed");
            if (model == null) model = open();
            return model;
        } finally {
            loading.unlock();
        }
    }

    private BatchModel<?, ?> open() {
        long start = System.nanoTime();
        BatchModel<?, ?> opened;
        try {
            opened = companion == null ? provider.open(path, threads, numerics) : provider.open(path, companion, threads, numerics);
        } catch (IOException | RuntimeException | LinkageError e) {
            throw new ModelLoadException(task, path, provider.family(), e);
        }
        if (opened == null) throw new ModelLoadException(task, path, provider.family(), new IllegalStateException("the provider returned no model"));
        try {
            opened.memoryBudget(memoryBudget);
        } catch (RuntimeException | LinkageError e) {
            try {
                opened.close(); // the model holds native memory: a half-configured model is not kept
            } catch (Exception closing) {
                e.addSuppressed(closing);
            }
            throw new ModelLoadException(task, path, provider.family(), e);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        listener.modelLoaded(task, opened.description(), seconds);
        LOG.log(Level.INFO, "loaded {0} model {1} in {2} s", task.label(), opened.description(), String.format("%.2f", seconds));
        return opened;
    }

    /** Closes the model (if loaded) and refuses to load again. */
    void close() {
        BatchModel<?, ?> loaded;
        loading.lock();
        try {
            closed = true;
            loaded = model;
            model = null;
        } finally {
            loading.unlock();
        }
        if (loaded == null) return;
        try {
            loaded.close();
        } catch (Exception e) {
            LOG.log(Level.WARNING, "closing the " + task.label() + " model failed", e);
        }
    }

    Path path() {
        return path;
    }

    String family() {
        return provider.family();
    }
}
