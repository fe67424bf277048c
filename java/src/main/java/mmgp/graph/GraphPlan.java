package mmgp.graph;

import java.util.function.Consumer;

/**
 * What a graph would cost, measured without running it: the bytes ggml's allocator plans for its
 * compute buffer ({@link Graph#plannedBufferBytes}) and its FLOPs ({@link Graph#flops}). Cost models
 * build each stage's graph once this way, so an estimate is the same figure a run allocates.
 *
 * @param bytes planned compute-buffer bytes
 * @param flops floating-point operations of one evaluation
 */
public record GraphPlan(long bytes, double flops) {

    /** Builds {@code graph} with {@code build}, measures it and closes it. */
    public static GraphPlan of(Graph graph, Consumer<Graph> build) {
        try (graph) {
            build.accept(graph);
            return new GraphPlan(graph.plannedBufferBytes(), graph.flops());
        }
    }
}
