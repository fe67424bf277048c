package mmgp.bench.e2e;

import java.util.List;

/**
 * The arithmetic one stage of one run did, per unit of its metric (per step for a step metric, per
 * token for a rate, else the whole stage): GFLOP (matmuls, convolutions and attention, 2 per
 * multiply-add, as {@link mmgp.graph.GraphStats} counts them), the seconds ggml spent computing
 * those graphs, the graph computes, and the graph labels (or the estimate's source) they came from.
 */
public record StageWork(double gflop, double graphSeconds, double computes, List<String> labels) {
    public StageWork {
        labels = labels == null ? List.of() : List.copyOf(labels);
    }

    /** An estimate without graph measurements (SmolVLM2, which runs inside libllama/libmtmd). */
    static StageWork estimate(double gflop, String source) {
        return new StageWork(gflop, Double.NaN, 0, List.of(source));
    }
}
