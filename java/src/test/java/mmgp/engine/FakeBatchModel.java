package mmgp.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mmgp.api.ProgressListener;
import mmgp.api.StageTimings;
import mmgp.engine.spi.BatchItem;
import mmgp.engine.spi.BatchModel;

/**
 * A model without native code for engine tests: records every batch it is given, can be held
 * inside {@code run} until the test releases it, steps through "denoise"/"generate" checking
 * cancellation like the real models, and fails a batch that contains a prompt with "fail".
 */
abstract class FakeBatchModel<Q, R> implements BatchModel<Q, R> {
    /** The prompts of every batch, in the order the batches ran. */
    final List<List<String>> batches = new CopyOnWriteArrayList<>();
    /** The size of each batch, put when its run starts (tests wait on it). */
    final LinkedBlockingQueue<Integer> started = new LinkedBlockingQueue<>();
    final AtomicInteger stoppedByCancel = new AtomicInteger();
    volatile int maxBatch = 8;
    /** A failure every run throws (a model that cannot work at all), or null. */
    volatile RuntimeException failEveryRun;
    volatile boolean closed;
    /** A failure {@link #memoryBudget} throws (a model that cannot take the engine's budget), or null. */
    volatile RuntimeException failMemoryBudget;
    /** Returns the results as an immutable list (List.copyOf), as a model written with List.of would. */
    volatile boolean immutableResults;
    private volatile CountDownLatch hold = new CountDownLatch(0);

    /** Makes the next runs wait inside {@code run} (after recording the batch) until {@link #release}. */
    void hold() {
        hold = new CountDownLatch(1);
    }

    void release() {
        hold.countDown();
    }

    /** Waits for the next batch to start running and returns its size. */
    int awaitStart() throws InterruptedException {
        Integer size = started.poll(10, TimeUnit.SECONDS);
        if (size == null) throw new AssertionError("no batch started within 10 s");
        return size;
    }

    abstract String prompt(Q request);

    abstract int steps(Q request);

    abstract String stepStage();

    abstract R result(BatchItem<Q> item, int batchSize, StageTimings timings);

    @Override
    public String description() {
        return getClass().getSimpleName();
    }

    @Override
    public int maxBatch() {
        return maxBatch;
    }

    @Override
    public List<R> run(List<BatchItem<Q>> items, ProgressListener batch) throws Exception {
        List<String> prompts = items.stream().map(item -> prompt(item.request())).toList();
        batches.add(prompts);
        started.add(items.size());
        if (!hold.await(10, TimeUnit.SECONDS)) throw new AssertionError("the test never released the model");
        if (failEveryRun != null) throw failEveryRun;
        for (String prompt : prompts) {
            if (prompt.contains("fail")) throw new IllegalStateException("cannot handle '" + prompt + "'");
        }
        int steps = steps(items.getFirst().request());
        for (int step = 1; step <= steps; step++) {
            try {
                batch.checkCancelled(stepStage());
            } catch (CancellationException e) {
                stoppedByCancel.incrementAndGet();
                throw e;
            }
            batch.step(stepStage(), step, steps, 0.001);
        }
        batch.stage(stepStage(), 0.01);
        List<R> results = new ArrayList<>();
        for (BatchItem<Q> item : items) {
            StageTimings timings = new StageTimings();
            timings.add(stepStage(), 0.01);
            timings.add("decode", 0.002);
            results.add(result(item, items.size(), timings));
        }
        return immutableResults ? List.copyOf(results) : results;
    }

    @Override
    public void memoryBudget(long bytes) {
        if (failMemoryBudget != null) throw failMemoryBudget;
    }

    @Override
    public void close() {
        closed = true;
    }
}
