package mmgp.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import mmgp.bindings.kernels.MmgpKernels;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Numerics;
import org.junit.jupiter.api.Test;

/** The Conv3d kernel columns say which route they measured: F16 the im2col taps, winograd the transforms (effective GFLOP/s). */
class GgmlKernelsConv3dTest {
    @Test
    void theF16ColumnIsTheIm2colAndTheWinogradColumnSaysItsFlopsAreEffective() {
        assumeTrue(MmgpKernels.isAvailable(), "kernels library not built");
        // 32×32 frames: the Winograd route's smallest default size.
        KernelCase.Conv3d c = new KernelCase.Conv3d("quick", "quick.conv3d", "a small 3-D conv", 1, 8, 8, 3, 32, 32, new int[] {3, 3, 3}, new int[] {0, 1, 1});
        assertThat(GgmlKernels.variants(c)).contains(GgmlKernels.F16, GgmlKernels.WINOGRAD);
        try (ComputeBackend backend = ComputeBackend.cpu(2, Numerics.FAST)) {
            GgmlKernels.Measurement f16 = GgmlKernels.measure(backend, c, GgmlKernels.F16, 0.01);
            GgmlKernels.Measurement wino = GgmlKernels.measure(backend, c, GgmlKernels.WINOGRAD, 0.01);
            assertThat(f16.error()).isNull();
            assertThat(wino.error()).isNull();
            assertThat(f16.note()).contains("F16 patches").contains("mmgp.conv=im2col");
            assertThat(wino.note()).contains("F(4×4,3×3), F32 operands").contains("effective");
            assertThat(System.getProperty("mmgp.conv")).as("the route switch is restored").isNull();
        }
    }
}
