package mmgp.bench.e2e;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What every workload keeps: the work metered in its last run, and the weight type behind each stage where known. */
abstract class WorkloadBase implements Workload {
    private final List<String> stages;
    private Map<String, StageWork> lastWork = Map.of();

    /** @param stages the metrics that run a part of the model, in the order they run */
    WorkloadBase(List<String> stages) {
        this.stages = List.copyOf(stages);
    }

    /** The dominant weight type of the model part {@code stage} runs; null when unknown. */
    protected abstract String weightType(String stage);

    protected final void keepWork(Map<String, StageWork> work) {
        lastWork = work;
    }

    @Override
    public final Map<String, StageWork> lastWork() {
        return lastWork;
    }

    @Override
    public final Map<String, String> weightTypes() {
        Map<String, String> m = new LinkedHashMap<>();
        for (String stage : stages) {
            String type = weightType(stage);
            if (type != null) m.put(stage, type);
        }
        return m;
    }
}
