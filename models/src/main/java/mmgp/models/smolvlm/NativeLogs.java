package mmgp.models.smolvlm;

import java.lang.foreign.MemorySegment;
import mmgp.bindings.llama.LlamaLog;
import mmgp.bindings.mtmd.Mtmd;

/**
 * llama.cpp and mtmd log every tensor they load to stderr; the CLI keeps only warnings and
 * errors unless asked for everything.
 */
public final class NativeLogs {
    private NativeLogs() {}

    public static void warningsOnly() {
        LlamaLog.Sink sink = (level, text) -> {
            if (level == LlamaLog.LEVEL_WARN || level == LlamaLog.LEVEL_ERROR) System.err.print(text);
        };
        LlamaLog.forwardTo(sink);
        Mtmd.logSet(LlamaLog.callback(), MemorySegment.NULL);
        Mtmd.helperLogSet(LlamaLog.callback(), MemorySegment.NULL);
    }
}
