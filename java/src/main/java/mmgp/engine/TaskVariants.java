package mmgp.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import mmgp.api.Task;

/**
 * The lanes of one task: usually one, or one per model variant for A/B routing, each request
 * going to a variant drawn at random in proportion to the weights. The draws come from one
 * seeded generator per task, so a given seed and order of submissions gives the same split.
 * The task's queue depth is the sum over its variants.
 */
final class TaskVariants {
    /** A variant before the engine starts: its name (null for a task's only model), weight and model. */
    record Spec(String name, double weight, ModelSlot slot) {}

    private record Variant(String name, double weight, TaskLane<?, ?> lane) {}

    private final List<Variant> variants = new ArrayList<>();
    private final double totalWeight;
    private final SplittableRandom random;
    private final AtomicIntegerArray depths;

    TaskVariants(Task task, List<Spec> specs, long seed, EngineSettings settings, ComputePermits permits, EngineListener listener) {
        this.depths = new AtomicIntegerArray(specs.size());
        this.random = new SplittableRandom(seed + task.ordinal());
        double total = 0;
        for (int i = 0; i < specs.size(); i++) {
            Spec s = specs.get(i);
            int index = i;
            TaskLane<?, ?> lane = new TaskLane<>(task, s.name(), s.slot(), settings, permits, listener, depth -> {
                depths.set(index, depth);
                listener.queueDepth(task, queueDepth());
            });
            variants.add(new Variant(s.name(), s.weight(), lane));
            total += s.weight();
        }
        this.totalWeight = total;
    }

    /** The lane for the next request: the only one, or a weighted draw among the variants. */
    TaskLane<?, ?> pick() {
        if (variants.size() == 1) return variants.getFirst().lane();
        double r;
        synchronized (random) {
            r = random.nextDouble() * totalWeight;
        }
        for (Variant v : variants) {
            r -= v.weight();
            if (r < 0) return v.lane();
        }
        return variants.getLast().lane();
    }

    List<TaskLane<?, ?>> lanes() {
        return variants.stream().<TaskLane<?, ?>>map(Variant::lane).toList();
    }

    /** The variants' names in configuration order; empty for a task with one model. */
    List<String> names() {
        return variants.size() == 1 && variants.getFirst().name() == null ? List.of() : variants.stream().map(Variant::name).toList();
    }

    int queueDepth() {
        int sum = 0;
        for (int i = 0; i < depths.length(); i++) sum += depths.get(i);
        return sum;
    }

    boolean isLoaded() {
        return variants.stream().allMatch(v -> v.lane().isLoaded());
    }
}
