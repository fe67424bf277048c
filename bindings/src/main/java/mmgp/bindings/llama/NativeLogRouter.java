package mmgp.bindings.llama;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import mmgp.bindings.llama.LlamaLog.Source;

/**
 * Turns llama.cpp/ggml/mtmd log fragments into whole lines on a {@link System.Logger} per library
 * ("llama.cpp", "ggml", "mtmd"; SLF4J loggers when slf4j-jdk-platform-logging is present).
 *
 * <p>The C side logs with printf: a message may be part of a line, may hold several lines, and a
 * {@code GGML_LOG_LEVEL_CONT} fragment continues the previous one at its level (llama.cpp's load
 * progress dots). Fragments are buffered per library until a newline. The levels are shifted one
 * step down, so the ~600 lines of a model load (tensor and metadata dumps at INFO) stay out of an
 * INFO-level log: DEBUG → TRACE, INFO → DEBUG, WARN → WARNING, ERROR → ERROR.
 *
 * <p>Lines are written to the logger outside the router's lock, so a slow appender holds up only
 * the thread that logs. The accepted cost: lines finished by two threads at about the same time
 * can reach the logger in the other order than they were completed here (each line is whole;
 * only the order between threads is not kept). {@link #flush} writes out unterminated lines;
 * {@link LlamaLog} calls it when the router is replaced, when the backend is freed, and from a JVM
 * shutdown hook. A native thread that read the old sink just before such a swap can still append
 * to this router after its flush: that partial line stays here and is lost (see
 * {@code LlamaLog.replace}).
 */
public final class NativeLogRouter implements LlamaLog.Sink {
    /** Where a finished line goes; the default is {@code System.getLogger(source.loggerName())}. */
    @FunctionalInterface
    public interface LineSink {
        void line(Source source, Level level, String line);
    }

    /** A line longer than this is cut, so a missing newline cannot grow the buffer without bound. */
    static final int MAX_LINE = 16 * 1024;

    private final LineSink out;
    private final StringBuilder[] pending = new StringBuilder[Source.values().length];
    private final Level[] pendingLevel = new Level[Source.values().length];

    public NativeLogRouter() {
        this(NativeLogRouter::toSystemLogger);
    }

    public NativeLogRouter(LineSink out) {
        this.out = out;
        for (int i = 0; i < pending.length; i++) {
            pending[i] = new StringBuilder();
            pendingLevel[i] = Level.DEBUG;
        }
    }

    /** The level a native level is logged at: one step quieter than the C side says. */
    public static Level level(int nativeLevel) {
        return switch (nativeLevel) {
            case LlamaLog.LEVEL_DEBUG -> Level.TRACE;
            case LlamaLog.LEVEL_WARN -> Level.WARNING;
            case LlamaLog.LEVEL_ERROR -> Level.ERROR;
            default -> Level.DEBUG; // INFO, and NONE which nothing should send
        };
    }

    @Override
    public void log(int level, String text) {
        log(Source.LLAMA, level, text);
    }

    @Override
    public void log(Source source, int level, String text) {
        // Lines are collected under the lock and written after it: a slow or blocked logger must not
        // hold up the other native threads that log.
        List<Pending> lines = new ArrayList<>(2);
        synchronized (this) {
            int i = source.ordinal();
            StringBuilder buf = pending[i];
            if (level != LlamaLog.LEVEL_CONT) {
                // A new message ends an unterminated previous one, at that one's level.
                if (!buf.isEmpty()) {
                    emitLater(lines, source, pendingLevel[i], buf.toString());
                    buf.setLength(0);
                }
                pendingLevel[i] = level(level);
            }
            Level lineLevel = pendingLevel[i];
            buf.append(text);
            int nl;
            while ((nl = buf.indexOf("\n")) >= 0) {
                emitLater(lines, source, lineLevel, buf.substring(0, nl));
                buf.delete(0, nl + 1);
            }
            if (buf.length() > MAX_LINE) {
                emitLater(lines, source, lineLevel, buf.toString());
                buf.setLength(0);
            }
        }
        write(lines);
    }

    /**
     * Writes out the unterminated lines still buffered (a message the C side never ended with a
     * newline), each at its level; called when the router is replaced or the libraries are closed,
     * and by {@link LlamaLog}'s shutdown hook, so the last words of a run are not lost.
     */
    @Override
    public void flush() {
        List<Pending> lines = new ArrayList<>(1);
        synchronized (this) {
            for (Source source : Source.values()) {
                StringBuilder buf = pending[source.ordinal()];
                if (buf.isEmpty()) continue;
                emitLater(lines, source, pendingLevel[source.ordinal()], buf.toString());
                buf.setLength(0);
            }
        }
        write(lines);
    }

    private record Pending(Source source, Level level, String line) {}

    private static void emitLater(List<Pending> lines, Source source, Level level, String line) {
        String trimmed = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
        if (!trimmed.isBlank()) lines.add(new Pending(source, level, trimmed));
    }

    private void write(List<Pending> lines) {
        for (Pending p : lines) out.line(p.source(), p.level(), p.line());
    }

    private static void toSystemLogger(Source source, Level level, String line) {
        System.getLogger(source.loggerName()).log(level, line);
    }
}
