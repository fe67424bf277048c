package mmgp.graph;

import static mmgp.testing.CloseAssertions.assertExactly;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link Graph#trace}: model code marks intermediates once; a caller collects them only when it asks to. */
class GraphTraceTest extends GraphTestSupport {

    @Test
    void withoutASinkTraceReturnsItsTensorAndAddsNothing() {
        try (Graph g = newGraph()) {
            Tensor a = g.inputF32("a", 4), b = g.inputF32("b", 4);
            Tensor sum = g.add(a, b);
            assertThat(g.tracing()).isFalse();
            assertThat(g.trace("sum", sum)).isSameAs(sum);
            Tensor y = g.output(g.name(g.scale(sum, 2), "y"));
            assertThat(g.outputs()).containsExactly(y);
            assertThat(sum.name()).doesNotStartWith(Graph.TRACE_PREFIX);
            assertThat(g.nodeCount()).isEqualTo(2);
        }
    }

    @Test
    void aSinkReceivesEveryTracedTensorInOrderWithItsValuesKept() {
        // y = 2·(a + b) − 1: without the trace the allocator may compute each step in place over
        // the previous one, so "sum" and "doubled" survive the compute only as outputs.
        float[] a = {1, 2, 3, 4}, b = {10, 20, 30, 40};
        Map<String, Tensor> sink = new LinkedHashMap<>();
        try (Graph g = newGraph().traceTo(sink)) {
            Tensor ta = g.inputF32("a", 4), tb = g.inputF32("b", 4);
            assertThat(g.tracing()).isTrue();
            Tensor sum = g.trace("sum", g.add(ta, tb));
            Tensor doubled = g.trace("doubled", g.scale(sum, 2));
            Tensor y = g.output(g.name(g.scaleBias(doubled, 1, -1), "y"));
            g.set(ta, a);
            g.set(tb, b);
            g.compute();
            assertThat(sink.keySet()).containsExactly("sum", "doubled");
            assertThat(sink.get("sum")).isSameAs(sum);
            assertThat(sum.name()).isEqualTo("trace.sum");
            assertExactly("sum", g.floats(sink.get("sum")), new double[] {11, 22, 33, 44});
            assertExactly("doubled", g.floats(sink.get("doubled")), new double[] {22, 44, 66, 88});
            assertExactly("y", g.floats(y), new double[] {21, 43, 65, 87});
            assertThat(g.outputs()).containsExactly(sum, doubled, y);
            // Stats and profiles report a traced graph under its own result, not its first trace.
            assertThat(g.label()).isEqualTo("y");
        }
    }

    @Test
    void tracingCanBeTurnedOffAndANameIsRequired() {
        Map<String, Tensor> sink = new LinkedHashMap<>();
        try (Graph g = newGraph().traceTo(sink)) {
            Tensor x = g.inputF32("x", 4);
            assertThatThrownBy(() -> g.trace("", g.sqr(x))).hasMessageContaining("needs a name");
            g.traceTo(null);
            assertThat(g.tracing()).isFalse();
            g.trace("off", g.sqr(x));
            assertThat(sink).isEmpty();
        }
    }
}
