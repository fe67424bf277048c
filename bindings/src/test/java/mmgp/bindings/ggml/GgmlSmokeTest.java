package mmgp.bindings.ggml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import mmgp.bindings.NativeLibraries;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The raw bindings work end to end: struct layout, zero-copy tensors, a computed graph. */
class GgmlSmokeTest {
    @BeforeAll
    static void libs() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
    }

    @Test
    void tensorLayoutMatchesTheLoadedLibrary() {
        GgmlTensorStruct.verify();
        assertThat(Ggml.tensorOverhead()).isEqualTo(368);
    }

    @Test
    void addsTwoZeroCopyVectorsOnTheCpuBackend() {
        MemorySegment backend = GgmlBackend.cpuInit();
        GgmlBackend.cpuSetNThreads(backend, 2);
        MemorySegment ctx = Ggml.init(16 * Ggml.tensorOverhead() + Ggml.graphOverheadCustom(64, false), true);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = Ggml.newTensor1d(ctx, 0, 8);
            MemorySegment b = Ggml.newTensor1d(ctx, 0, 8);
            MemorySegment c = Ggml.binary(Ggml.Binary.ADD, ctx, a, b);
            MemorySegment graph = Ggml.newGraphCustom(ctx, 64, false);
            Ggml.buildForwardExpand(graph, c);

            // Inputs live in Java memory handed to ggml as a CPU buffer: no copies.
            MemorySegment host = arena.allocate(64, 64);
            MemorySegment buffer = GgmlBackend.cpuBufferFromPtr(host, 64);
            GgmlBackend.tensorAlloc(buffer, a, host);
            GgmlBackend.tensorAlloc(buffer, b, host.asSlice(32));
            for (int i = 0; i < 8; i++) {
                host.setAtIndex(ValueLayout.JAVA_FLOAT, i, i);
                host.setAtIndex(ValueLayout.JAVA_FLOAT, 8 + i, 10 * i);
            }
            MemorySegment galloc = GgmlBackend.gallocrNew(GgmlBackend.cpuBufferType());
            assertThat(GgmlBackend.gallocrAllocGraph(galloc, graph)).isTrue();
            assertThat(GgmlBackend.graphCompute(backend, graph)).isEqualTo(GgmlBackend.STATUS_SUCCESS);
            MemorySegment out = GgmlTensorStruct.data(c).reinterpret(32);
            for (int i = 0; i < 8; i++) assertThat(out.getAtIndex(ValueLayout.JAVA_FLOAT, i)).isEqualTo(11f * i);
            GgmlBackend.gallocrFree(galloc);
            GgmlBackend.bufferFree(buffer);
        } finally {
            Ggml.free(ctx);
            GgmlBackend.free(backend);
        }
    }
}
