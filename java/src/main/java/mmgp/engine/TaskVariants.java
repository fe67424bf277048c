package mmgp.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import mmgp.api.InvalidRequestException;
import mmgp.api.ProgressListener;
import mmgp.api.Task;
import mmgp.engine.spi.BatchModel;

/**
 * The lanes of one task: usually one, or one per model variant for A/B routing. A request goes
 * to a variant drawn at random in proportion to the weights among the variants that accept it:
 * each loaded variant's model checks it first (validation and the cost limits), a variant not
 * loaded yet counts as accepting (its dispatcher checks the request after loading), and when
 * none accepts, the first variant's refusal is the answer. Only a refusal
 * ({@link InvalidRequestException}, {@link OverBudgetException}) passes a request on to another
 * variant: any other exception from a variant's check is a fault (a bug in its estimate, say)
 * and reaches the caller rather than silently moving the traffic. So A/B routing never makes
 * admission random: a request one variant can run is never refused because another was drawn. The draws
 * come from one seeded generator per task (one draw per request), so a given seed and order of
 * submissions gives the same split. The lanes share the task's queue capacity, and the task's
 * queue depth, the sum over its lanes, is set and published under one lock so that the gauge
 * never ends on a stale sum.
 */
final class TaskVariants {
    /** A variant before the engine starts: its name (null for a task's only model), weight and model. */
    record Spec(String name, double weight, ModelSlot slot) {}

    private record Variant(String name, double weight, TaskLane<?, ?> lane) {}

    private final List<Variant> variants = new ArrayList<>();
    private final SplittableRandom random;
    private final Object depthLock = new Object();
    private final int[] depths;

    TaskVariants(Task task, List<Spec> specs, long seed, EngineSettings settings, ComputePermits permits, EngineListener listener) {
        this.depths = new int[specs.size()];
        this.random = new SplittableRandom(seed + task.ordinal());
        Semaphore slots = new Semaphore(settings.queueCapacity());
        for (int i = 0; i < specs.size(); i++) {
            Spec s = specs.get(i);
            int index = i;
            TaskLane<?, ?> lane = new TaskLane<>(task, s.name(), s.slot(), settings, permits, listener, slots, depth -> {
                synchronized (depthLock) {
                    depths[index] = depth;
                    listener.queueDepth(task, sum());
                }
            });
            variants.add(new Variant(s.name(), s.weight(), lane));
        }
    }

    /**
     * Queues the request on a variant that accepts it (see the class description).
     *
     * @throws mmgp.api.InvalidRequestException or {@link OverBudgetException}: the first variant's refusal when none accepts
     * @throws QueueFullException when the task's queue is at its bound
     */
    @SuppressWarnings("unchecked")
    <Q, R> Job<R> submit(Q request, ProgressListener caller) {
        Objects.requireNonNull(request, "request");
        List<TaskLane<Q, R>> accepting = new ArrayList<>(variants.size());
        List<BatchModel<Q, R>> checkedBy = new ArrayList<>(variants.size());
        List<Double> weights = new ArrayList<>(variants.size());
        if (variants.size() == 1) {
            TaskLane<Q, R> only = (TaskLane<Q, R>) variants.getFirst().lane();
            return only.enqueue(request, caller, only.check(request));
        }
        RuntimeException firstRefusal = null;
        for (Variant v : variants) {
            TaskLane<Q, R> lane = (TaskLane<Q, R>) v.lane();
            try {
                checkedBy.add(lane.check(request));
                accepting.add(lane);
                weights.add(v.weight());
            } catch (InvalidRequestException | OverBudgetException refused) { // anything else is a fault, not a refusal: it propagates
                if (firstRefusal == null) firstRefusal = refused;
            }
        }
        double r = draw() * weights.stream().mapToDouble(Double::doubleValue).sum();
        if (accepting.isEmpty()) throw firstRefusal;
        int chosen = accepting.size() - 1;
        for (int i = 0; i < accepting.size(); i++) {
            r -= weights.get(i);
            if (r < 0) {
                chosen = i;
                break;
            }
        }
        return accepting.get(chosen).enqueue(request, caller, checkedBy.get(chosen));
    }

    /**
     * Refuses, with the first variant's reason, a request no variant accepts (the pipeline's
     * check of its options before it starts); does nothing when one accepts.
     */
    @SuppressWarnings("unchecked")
    <Q> void check(Q request) {
        RuntimeException firstRefusal = null;
        for (Variant v : variants) {
            try {
                ((TaskLane<Q, ?>) v.lane()).check(request);
                return;
            } catch (InvalidRequestException | OverBudgetException refused) { // anything else propagates, as in submit
                if (firstRefusal == null) firstRefusal = refused;
            }
        }
        if (firstRefusal != null) throw firstRefusal;
    }

    private double draw() {
        synchronized (random) {
            return random.nextDouble();
        }
    }

    List<TaskLane<?, ?>> lanes() {
        return variants.stream().<TaskLane<?, ?>>map(Variant::lane).toList();
    }

    /** The variants' names in configuration order; empty for a task with one model. */
    List<String> names() {
        return variants.size() == 1 && variants.getFirst().name() == null ? List.of() : variants.stream().map(Variant::name).toList();
    }

    int queueDepth() {
        synchronized (depthLock) {
            return sum();
        }
    }

    private int sum() {
        int sum = 0;
        for (int d : depths) sum += d;
        return sum;
    }

    boolean isLoaded() {
        return variants.stream().allMatch(v -> v.lane().isLoaded());
    }
}
