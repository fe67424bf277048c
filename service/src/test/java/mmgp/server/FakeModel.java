package mmgp.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import mmgp.api.ProgressListener;
import mmgp.api.StageTimings;
import mmgp.engine.spi.BatchItem;
import mmgp.engine.spi.BatchModel;

/**
 * A model that takes {@code steps} steps of {@link #stepMillis} each, reports them, stops when
 * cancelled, can be held after its first step by {@link #hold}, and fails for the prompt "explode".
 */
abstract class FakeModel<Q, R> implements BatchModel<Q, R> {
    volatile long stepMillis = 5;
    volatile CountDownLatch hold = new CountDownLatch(0);
    /** Counted down when a run has reported its first step (tests wait on it before acting on a running job). */
    volatile CountDownLatch started = new CountDownLatch(1);
    /** When set, every run fails with this message. */
    volatile String failure;

    abstract String prompt(Q request);

    abstract int steps(Q request);

    abstract String stage();

    abstract R result(BatchItem<Q> item, int batchSize, StageTimings timings);

    @Override
    public String description() {
        return "fake " + stage() + " model";
    }

    @Override
    public int maxBatch() {
        return 4;
    }

    @Override
    public List<R> run(List<BatchItem<Q>> items, ProgressListener batch) throws Exception {
        if (failure != null) throw new IllegalStateException(failure);
        for (BatchItem<Q> item : items) {
            if (prompt(item.request()).equals("explode")) throw new IllegalStateException("the fake model exploded");
        }
        int steps = steps(items.getFirst().request());
        long t0 = System.nanoTime();
        for (int i = 1; i <= steps; i++) {
            if (i == 2 || steps == 1) {
                started.countDown();
                while (!hold.await(20, TimeUnit.MILLISECONDS)) batch.checkCancelled(stage());
            }
            batch.checkCancelled(stage());
            if (stepMillis > 0) Thread.sleep(stepMillis);
            batch.step(stage(), i, steps, stepMillis / 1e3);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        batch.stage(stage(), secs);
        List<R> out = new ArrayList<>();
        for (BatchItem<Q> item : items) {
            StageTimings t = new StageTimings();
            t.add(stage(), secs);
            out.add(result(item, items.size(), t));
        }
        return out;
    }

    @Override
    public void close() {}
}
