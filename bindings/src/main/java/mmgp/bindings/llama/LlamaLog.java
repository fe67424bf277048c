package mmgp.bindings.llama;

import static mmgp.bindings.CTypes.*;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Routes llama.cpp's (and ggml's) log output into Java, or drops it.
 *
 * <p>One upcall stub, made once and never freed, serves as the {@code ggml_log_callback}; it
 * hands each message to the current {@link Sink}, or drops it when there is none. The same
 * pointer works for {@code mtmd_log_set} / {@code mtmd_helper_log_set}. Messages can arrive on
 * llama.cpp's worker threads, so a sink must be thread-safe; an exception thrown by a sink is
 * swallowed, because unwinding into C would crash the JVM.
 */
public final class LlamaLog {
    /** enum ggml_log_level; CONT continues the previous message. */
    public static final int LEVEL_NONE = 0, LEVEL_DEBUG = 1, LEVEL_INFO = 2, LEVEL_WARN = 3, LEVEL_ERROR = 4, LEVEL_CONT = 5;

    /** Receives one log fragment: a LEVEL_* and the text, usually ending in a newline. */
    @FunctionalInterface
    public interface Sink {
        void log(int level, String text);
    }

    private static volatile Sink sink;

    private static final MemorySegment CALLBACK;

    static {
        try {
            var target = MethodHandles.lookup().findStatic(LlamaLog.class, "dispatch",
                    MethodType.methodType(void.class, int.class, MemorySegment.class, MemorySegment.class));
            CALLBACK = Linker.nativeLinker().upcallStub(target, FunctionDescriptor.ofVoid(ENUM, PTR, PTR), Arena.global());
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private LlamaLog() {}

    /** The native {@code ggml_log_callback} that forwards to the current sink. */
    public static MemorySegment callback() {
        return CALLBACK;
    }

    /** Drops every llama.cpp/ggml log message. */
    public static void silence() {
        sink = null;
        Llama.logSet(CALLBACK, MemorySegment.NULL);
    }

    /** Sends every llama.cpp/ggml log message to {@code target}. */
    public static void forwardTo(Sink target) {
        sink = target;
        Llama.logSet(CALLBACK, MemorySegment.NULL);
    }

    /** Back to llama.cpp's default: everything on stderr. */
    public static void restoreStderr() {
        sink = null;
        Llama.logSet(MemorySegment.NULL, MemorySegment.NULL);
    }

    private static void dispatch(int level, MemorySegment text, MemorySegment userData) {
        Sink s = sink;
        if (s == null || text.equals(MemorySegment.NULL)) return;
        try {
            s.log(level, text.reinterpret(Long.MAX_VALUE).getString(0));
        } catch (Throwable ignored) {
            // Must not propagate into native code; a broken sink loses its message, not the process.
        }
    }
}
