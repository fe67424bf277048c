package mmgp.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import mmgp.sampling.RandomArrays;
import org.junit.jupiter.api.Test;

class EulerAndAxpyTest {

    private static final int[] LENGTHS = {1, 7, 15, 16, 17, 33, 1000, 128 * 1120, 128 * 1120 + 5};

    @Test
    void axpyRoundsProductThenSumOnBothPaths() {
        try (Arena arena = Arena.ofConfined()) {
            for (int n : LENGTHS) {
                float[] x = RandomArrays.gaussian(n, n, 1.0);
                float[] y = RandomArrays.gaussian(n + 1, n, 1.0);
                float a = -0.0371f;
                MemorySegment xs = RandomArrays.misalignedNative(arena, x);
                MemorySegment vector = RandomArrays.misalignedNative(arena, y);
                MemorySegment scalar = RandomArrays.misalignedNative(arena, y);
                MemorySegment out = arena.allocate(4L * n);
                Axpy.apply(a, xs, vector, out, n);
                Axpy.apply(a, xs, vector, vector, n);
                Axpy.applyScalar(a, xs, scalar, scalar, n);
                float[] v = RandomArrays.toArray(vector, n);
                float[] s = RandomArrays.toArray(scalar, n);
                float[] o = RandomArrays.toArray(out, n);
                for (int i = 0; i < n; i++) {
                    float expected = y[i] + a * x[i];
                    assertThat(v[i]).isEqualTo(expected);
                    assertThat(s[i]).isEqualTo(expected);
                    assertThat(o[i]).isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void flowMatchEulerStepsBySigmaDifference() {
        for (int n : LENGTHS) {
            float[] x = RandomArrays.gaussian(3 * n, n, 1.0);
            float[] v = RandomArrays.gaussian(3 * n + 1, n, 1.0);
            float sigma = 0.9375f;
            float sigmaNext = 0.7211f;
            float dt = sigmaNext - sigma; // float32, as the scheduler's sigma tensors
            float[] vector = x.clone();
            FlowMatchEulerStep.step(vector, v, sigma, sigmaNext);
            float[] scalar = x.clone();
            FlowMatchEulerStep.stepScalar(MemorySegment.ofArray(scalar), MemorySegment.ofArray(v), n, sigma, sigmaNext);
            for (int i = 0; i < n; i++) {
                assertThat(vector[i]).isEqualTo(x[i] + dt * v[i]);
                assertThat(scalar[i]).isEqualTo(x[i] + dt * v[i]);
            }
        }
    }

    @Test
    void eulerToSigmaZeroWithTheExactVelocityLandsOnTheData() {
        // Rectified flow: x_sigma = (1 - sigma) x0 + sigma * noise, velocity = noise - x0.
        int n = 1000;
        float[] x0 = RandomArrays.gaussian(1, n, 1.0);
        float[] noise = RandomArrays.gaussian(2, n, 1.0);
        float sigma = 0.6f;
        float[] x = new float[n];
        float[] velocity = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (1 - sigma) * x0[i] + sigma * noise[i];
            velocity[i] = noise[i] - x0[i];
        }
        FlowMatchEulerStep.step(x, velocity, sigma, 0f);
        for (int i = 0; i < n; i++) {
            assertThat(x[i]).isCloseTo(x0[i], org.assertj.core.api.Assertions.within(1e-5f));
        }
    }

    @Test
    void batchedGuidanceMixesTheHalvesAndCanWriteInPlace() {
        for (int half : new int[] {1, 17, 128 * 1120}) {
            float[] batched = RandomArrays.gaussian(half, 2 * half, 1.0);
            float scale = 3f;
            float[] out = BatchedGuidance.combine(batched, scale);
            float[] scalar = new float[half];
            BatchedGuidance.combineScalar(MemorySegment.ofArray(batched), half, scale, MemorySegment.ofArray(scalar));
            for (int i = 0; i < half; i++) {
                float u = batched[i];
                float c = batched[half + i];
                assertThat(out[i]).isEqualTo(u + scale * (c - u));
                assertThat(scalar[i]).isEqualTo(out[i]);
            }
            MemorySegment inPlace = MemorySegment.ofArray(batched);
            BatchedGuidance.combine(inPlace, half, scale, inPlace);
            assertThat(java.util.Arrays.copyOf(batched, half)).containsExactly(out);
        }
    }
}
