package mmgp.graph;

import static mmgp.testing.CloseAssertions.assertExactly;
import static mmgp.testing.CloseAssertions.assertWithin;
import static mmgp.testing.TestArrays.roundToF16;
import static mmgp.testing.TestArrays.uniform;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.Test;

/**
 * Embedding lookups, argmax and the sinusoidal timestep embedding.
 *
 * <p>getRows copies (F16 rows widen exactly): exact. argmax: exact indices. timestepEmbedding:
 * ggml evaluates t·freq in fp32 like diffusers does; the argument can differ from ours by a couple
 * of ulps of t·freq (expf vs exp rounding), so the bound is 1e-5 + 2·ulp(t·freq) per element.
 */
class LookupOpsTest extends GraphTestSupport {

    @Test
    void getRowsPicksEmbeddingRowsFromF32AndF16Tables() {
        int d = 6, vocab = 10;
        Random random = new Random(101);
        float[] table = uniform(random, d * vocab);
        int[] ids = {7, 0, 9, 7, 3};
        try (Graph g = newGraph()) {
            Tensor t32 = g.inputF32("table32", d, vocab);
            Tensor t16 = g.input("table16", GgmlType.F16, d, vocab);
            Tensor tid = g.input("ids", GgmlType.I32, ids.length);
            Tensor rows32 = g.output(g.getRows(t32, tid));
            Tensor rows16 = g.output(g.getRows(t16, tid));
            assertShape(rows32, d, ids.length);
            assertThat(rows16.type()).isEqualTo(GgmlType.F32);
            g.set(t32, table);
            g.set(t16, f16Bytes(table));
            g.set(tid, ids);
            g.compute();
            assertExactly("getRows F32", g.floats(rows32), ReferenceOps.getRows(table, d, ids));
            assertExactly("getRows F16", g.floats(rows16), ReferenceOps.getRows(roundToF16(table), d, ids));
        }
    }

    @Test
    void argmaxGivesTheIndexOfEachRowsMaximum() {
        int ne0 = 37, rows = 6;
        Random random = new Random(102);
        float[] x = uniform(random, ne0 * rows, -5, 5);
        x[ne0 * 2 + 36] = 9; // maximum in the last column
        x[ne0 * 4] = 9;      // and in the first
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", ne0, rows);
            Tensor y = g.output(g.argmax(tx));
            assertShape(y, rows);
            g.set(tx, x);
            g.compute();
            assertThat(g.ints(y)).containsExactly(ReferenceOps.argmax(x, ne0));
        }
    }

    /**
     * ggml_timestep_embedding puts the cosines first: it equals diffusers'
     * get_timestep_embedding(t, dim, flip_sin_to_cos=True, downscale_freq_shift=0, max_period)
     * (aMUSEd's micro-conditioning and LTX-Video's timestep projection both use shift 0).
     * An odd dim gets a trailing zero.
     */
    @Test
    void timestepEmbeddingIsCosinesThenSinesWithFrequencyShiftZero() {
        float[] t = {0f, 1f, 37.5f, 999f};
        for (int dim : new int[] {16, 9}) {
            try (Graph g = newGraph()) {
                Tensor tt = g.inputF32("t", t.length);
                Tensor y = g.output(g.timestepEmbedding(tt, dim, 10000));
                assertShape(y, dim, t.length);
                g.set(tt, t);
                g.compute();
                double[] expected = ReferenceOps.timestepEmbedding(t, dim, 10000);
                double[] bound = new double[expected.length];
                int half = dim / 2;
                for (int n = 0; n < t.length; n++) {
                    for (int j = 0; j < dim; j++) {
                        double arg = j < 2 * half ? t[n] * Math.exp(-Math.log(10000) * (j % half) / half) : 0;
                        bound[n * dim + j] = 1e-5 + 2 * Math.ulp((float) arg);
                    }
                }
                assertWithin("timestepEmbedding dim " + dim, g.floats(y), expected, bound);
            }
        }
    }
}
