package mmgp.bindings.llama;

import static mmgp.bindings.CTypes.*;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import mmgp.bindings.ggml.Ggml;
import mmgp.bindings.mtmd.Mtmd;

/**
 * Routes llama.cpp's, ggml's and mtmd's log output into Java, or drops it.
 *
 * <p>One upcall stub, made once in the global arena and never freed, serves as the
 * {@code ggml_log_callback} of all three libraries; each is registered with its own
 * {@code user_data} (1 llama.cpp, 2 ggml, 3 mtmd), so a message knows where it came from. The
 * stub hands each message to the current {@link Sink}, or drops it when there is none.
 * {@link mmgp.bindings.NativeLibraries#get()} installs {@link NativeLogRouter} when the libraries
 * load, so by default the lines go to the {@code System.Logger}s "llama.cpp", "ggml" and "mtmd".
 * Messages can arrive on ggml's worker threads, so a sink must be thread-safe; an exception
 * thrown by a sink is swallowed, because unwinding into C would crash the JVM.
 */
public final class LlamaLog {
    /** enum ggml_log_level; CONT continues the previous message. */
    public static final int LEVEL_NONE = 0, LEVEL_DEBUG = 1, LEVEL_INFO = 2, LEVEL_WARN = 3, LEVEL_ERROR = 4, LEVEL_CONT = 5;

    /** The library a message came from, named as its logger. */
    public enum Source {
        LLAMA("llama.cpp"), GGML("ggml"), MTMD("mtmd");

        private final String loggerName;

        Source(String loggerName) {
            this.loggerName = loggerName;
        }

        public String loggerName() {
            return loggerName;
        }

        MemorySegment userData() {
            return MemorySegment.ofAddress(ordinal() + 1L);
        }

        static Source of(MemorySegment userData) {
            long tag = userData.address();
            return tag >= 1 && tag <= values().length ? values()[(int) tag - 1] : LLAMA;
        }
    }

    /** Receives one log fragment: a LEVEL_* and the text, usually ending in a newline. */
    @FunctionalInterface
    public interface Sink {
        void log(int level, String text);

        /** The same, with the library it came from; a sink that cares overrides this one. */
        default void log(Source source, int level, String text) {
            log(level, text);
        }

        /** Writes out what the sink still buffers (a line with no newline yet); the default holds nothing. */
        default void flush() {}
    }

    private static volatile Sink sink;
    private static final java.util.concurrent.atomic.AtomicBoolean FLUSH_AT_EXIT = new java.util.concurrent.atomic.AtomicBoolean();

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

    /** The default: complete lines to the System.Loggers "llama.cpp", "ggml" and "mtmd" (see {@link NativeLogRouter}). */
    public static void routeToLoggers() {
        forwardTo(new NativeLogRouter());
    }

    /** Drops every llama.cpp/ggml/mtmd log message (what the previous sink buffered is written out first). */
    public static void silence() {
        replace(null, CALLBACK);
    }

    /**
     * Sends every llama.cpp/ggml/mtmd log message to {@code target}; the previous sink's buffered
     * lines are written out. The first call also adds a JVM shutdown hook that flushes the sink of
     * the moment, so a last message without its newline still reaches the log.
     */
    public static void forwardTo(Sink target) {
        if (FLUSH_AT_EXIT.compareAndSet(false, true)) {
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(LlamaLog::flush, "mmgp-native-log-flush"));
            } catch (IllegalStateException | SecurityException e) {
                // already shutting down: nothing left to flush at exit
            }
        }
        replace(target, CALLBACK);
    }

    /** Back to the libraries' default: everything on stderr (what the previous sink buffered is written out first). */
    public static void restoreStderr() {
        replace(null, MemorySegment.NULL);
    }

    /** Writes out what the current sink buffers: a partial line the C side has not ended yet. Never throws. */
    public static void flush() {
        flush(sink);
    }

    /**
     * Swaps the sink, then flushes the one before. Accepted trade-offs, as the callback reads the
     * sink without a lock (a lock there would serialize every native thread that logs): a native
     * thread that read the old sink just before the swap can append to it after this flush; that
     * partial line stays in the old sink's buffer and is lost (a whole line is still written, as
     * the old sink emits it on its newline). Nothing is lost while one sink stays in place.
     */
    private static void replace(Sink target, MemorySegment callback) {
        Sink before = sink;
        sink = target;
        register(callback);
        if (before != target) flush(before);
    }

    private static void flush(Sink s) {
        if (s == null) return;
        try {
            s.flush();
        } catch (RuntimeException e) {
            // a broken sink loses its last line, not the caller's work (nor the shutdown)
        }
    }

    private static void register(MemorySegment callback) {
        Llama.logSet(callback, Source.LLAMA.userData()); // sets ggml's too, so ggml's is set after it
        Ggml.logSet(callback, Source.GGML.userData());
        Mtmd.helperLogSet(callback, Source.MTMD.userData()); // and mtmd_log_set, clip's
    }

    private static void dispatch(int level, MemorySegment text, MemorySegment userData) {
        try {
            Sink s = sink;
            if (s == null || text.equals(MemorySegment.NULL)) return;
            s.log(Source.of(userData), level, text.reinterpret(Long.MAX_VALUE).getString(0));
        } catch (Throwable ignored) {
            // Must not propagate into native code; a broken sink loses its message, not the process.
        }
    }
}
