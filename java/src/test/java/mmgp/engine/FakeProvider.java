package mmgp.engine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mmgp.api.Task;
import mmgp.engine.spi.BatchModel;
import mmgp.engine.spi.ModelProvider;

/** Opens files whose name starts with its family name; counts opens, can hold or fail them. */
public final class FakeProvider implements ModelProvider {
    private final Task task;
    private final String family;
    private final BatchModel<?, ?> model;
    final AtomicInteger opens = new AtomicInteger();
    /** The numerics of the last open. */
    volatile mmgp.graph.Numerics numerics;
    final AtomicInteger failuresLeft = new AtomicInteger();
    volatile CountDownLatch openGate = new CountDownLatch(0);

    public FakeProvider(Task task, String family, BatchModel<?, ?> model) {
        this.task = task;
        this.family = family;
        this.model = model;
    }

    @Override
    public Task task() {
        return task;
    }

    @Override
    public String family() {
        return family;
    }

    @Override
    public boolean canOpen(Path path) {
        return path.getFileName().toString().startsWith(family);
    }

    @Override
    public BatchModel<?, ?> open(Path path, int threads, mmgp.graph.Numerics numerics) throws IOException {
        opens.incrementAndGet();
        this.numerics = numerics;
        try {
            if (!openGate.await(10, TimeUnit.SECONDS)) throw new AssertionError("the test never opened the gate");
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
        if (failuresLeft.getAndDecrement() > 0) throw new IOException("truncated tensor data in " + path.getFileName());
        return model;
    }
}
