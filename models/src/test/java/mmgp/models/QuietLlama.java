package mmgp.models;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.llama.LlamaLog;
import mmgp.bindings.mtmd.Mtmd;

/** Setup of the tests that run SmolVLM2 through libllama and libmtmd. */
public final class QuietLlama {
    private QuietLlama() {}

    /**
     * Skips the calling test class where the native libraries are not built; otherwise routes
     * libllama's and libmtmd's logging through {@link LlamaLog}, silenced, so the test output
     * holds what the tests print rather than every tensor load.
     */
    public static void require() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        LlamaLog.silence();
        Mtmd.helperLogSet(LlamaLog.callback(), MemorySegment.NULL);
    }
}
