package mmgp.bindings.llama;

import mmgp.bindings.NativeLibraries;
import mmgp.bindings.llama.LlamaLog.Source;

/**
 * Child-JVM side of {@link NativeLogRoutingTest#anUnterminatedLineIsWrittenAtExit}: routes the
 * native log to a router that prints to stdout, leaves a line without its newline in it, and exits;
 * LlamaLog's shutdown hook must write that line.
 */
public final class NativeLogFlushProbe {
    public static void main(String[] args) {
        NativeLibraries.get();
        NativeLogRouter router = new NativeLogRouter((s, l, t) -> System.out.println("line " + s + " " + l + " " + t));
        LlamaLog.forwardTo(router);
        router.log(Source.LLAMA, LlamaLog.LEVEL_WARN, "last words, no newline");
        System.out.println("exiting");
    }
}
