package mmgp.bindings.llama;

import java.lang.foreign.MemorySegment;
import mmgp.bindings.ggml.Ggml;

/**
 * Child-JVM side of {@link NativeLogRoutingTest#routingInstallsWhenGgmlLoadsTheLibrariesFirst}:
 * the first native call of the process is one of {@code Ggml}'s (as a benchmark that builds a
 * graph before any model is loaded), so the libraries load, and the log callback is installed,
 * while {@code Ggml} itself is still initializing.
 */
public final class GgmlFirstLogProbe {
    public static void main(String[] args) {
        MemorySegment ctx = Ggml.init(1 << 16, true);
        Ggml.free(ctx);
        System.out.println("ggml first: ok");
    }
}
