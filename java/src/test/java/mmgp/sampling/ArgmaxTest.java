package mmgp.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class ArgmaxTest {

    private static int naiveFirstArgmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void randomInputsAgreeWithNaiveScan() {
        for (int n : RandomArrays.LENGTHS) {
            for (long seed = 0; seed < 5; seed++) {
                float[] x = RandomArrays.gaussian(seed * 1000 + n, n, 2.0);
                int expected = naiveFirstArgmax(x);
                assertThat(Argmax.argmax(x)).as("n=%d", n).isEqualTo(expected);
                assertThat(Argmax.argmaxScalar(MemorySegment.ofArray(x), n)).as("n=%d", n).isEqualTo(expected);
            }
        }
    }

    @Test
    void tiesResolveToTheFirstIndexLikeTorch() {
        for (int n : new int[] {2, 17, 33, 49152}) {
            float[] x = RandomArrays.quantized(n, n, 4, 1f); // values 0..3
            x[n / 2] = 4f;
            x[n - 1] = 4f;
            int expected = naiveFirstArgmax(x);
            assertThat(expected).isEqualTo(n / 2);
            assertThat(Argmax.argmax(x)).isEqualTo(expected);
            assertThat(Argmax.argmaxScalar(MemorySegment.ofArray(x), n)).isEqualTo(expected);
        }
        float[] tail = new float[35];
        java.util.Arrays.fill(tail, Float.NEGATIVE_INFINITY);
        tail[33] = 1f;
        tail[34] = 1f;
        assertThat(Argmax.argmax(tail)).isEqualTo(33);
    }
}
