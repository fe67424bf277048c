package mmgp.graph;

import static mmgp.testing.TestArrays.uniform;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A profiled compute gives the same values as a plain one and accounts for every op with its FLOPs. */
class OpProfileTest extends GraphTestSupport {
    private static final int K = 64, M = 48, N = 8;

    @AfterEach
    void profilingOff() {
        System.clearProperty("mmgp.profile");
        OpProfile.reset();
    }

    @Test
    void profiledComputeMatchesPlainComputeAndCountsMatMulFlops() {
        Random random = new Random(5);
        float[] w = uniform(random, K * M), x = uniform(random, K * N), bias = uniform(random, M);
        float[] plain = run(w, x, bias);
        System.setProperty("mmgp.profile", "true");
        float[] profiled = run(w, x, bias);
        float[] again = run(w, x, bias);

        assertThat(profiled).containsExactly(plain);
        assertThat(again).containsExactly(plain);
        OpProfile p = OpProfile.of("profile_test_out");
        assertThat(p.computes()).isEqualTo(2);
        assertThat(p.rows()).extracting(OpProfile.Row::op).contains("MUL_MAT f32×f32", "ADD", "SILU");
        OpProfile.Row mm = p.rows().stream().filter(r -> r.op().startsWith("MUL_MAT")).findFirst().orElseThrow();
        assertThat(mm.calls()).isEqualTo(2);
        assertThat(mm.flops()).isEqualTo(2.0 * 2 * K * M * N);
        assertThat(mm.seconds()).isPositive();
        assertThat(p.table()).contains("profile_test_out").contains("MUL_MAT f32×f32");
    }

    @Test
    void graphStatsCountEveryComputeWithItsFlops() {
        Random random = new Random(6);
        float[] w = uniform(random, K * M), x = uniform(random, K * N), bias = uniform(random, M);
        GraphStats.Entry before = GraphStats.get("profile_test_out");
        long computes = before == null ? 0 : before.computes();
        double flops = before == null ? 0 : before.flops();
        run(w, x, bias);
        GraphStats.Entry after = GraphStats.get("profile_test_out");
        assertThat(after.computes()).isEqualTo(computes + 1);
        assertThat(after.flops() - flops).isEqualTo(2.0 * K * M * N);
        assertThat(after.seconds()).isPositive();
    }

    private static float[] run(float[] w, float[] x, float[] bias) {
        try (Graph g = newGraph()) {
            Tensor tw = g.inputF32("w", K, M), tx = g.inputF32("x", K, N), tb = g.inputF32("b", M);
            Tensor y = g.output(g.name(g.silu(g.linear(tx, tw, tb)), "profile_test_out"));
            g.set(tw, w);
            g.set(tx, x);
            g.set(tb, bias);
            g.compute();
            return g.floats(y);
        }
    }
}
