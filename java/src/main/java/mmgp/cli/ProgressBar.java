package mmgp.cli;

import java.io.PrintStream;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import mmgp.api.ProgressListener;

/**
 * A generation's progress on stderr: per step the count, the last step's time, the elapsed time
 * of the stage and an estimate of the time left; a line per finished stage.
 *
 * <p>Three modes ({@link Mode}): a bar redrawn in place on a terminal; one plain line per
 * update, at most one every few seconds, when stderr goes to a file or a pipe (a log then reads
 * line by line instead of as one {@code \r}-joined line); nothing with {@code --quiet}. The mode
 * comes from {@code --progress} (the {@code mmgp.progress} system property), else the
 * {@code MMGP_PROGRESS} environment variable, else whether stderr is a terminal (as the
 * launcher found, in {@code MMGP_STDERR_TTY}; else whether the JVM has a terminal console).
 */
public final class ProgressBar implements ProgressListener {
    /** How progress is shown. */
    public enum Mode {
        /** One line redrawn in place (a terminal). */
        BAR,
        /** A new line per update, throttled (logs, pipes, CI). */
        PLAIN,
        /** Nothing but the results. */
        NONE;

        /** Parses "bar", "plain", "none" (any case); anything else is refused with the choices named. */
        public static Mode parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown progress mode '" + s + "'; use bar, plain or none");
            }
        }

        /** The mode the user asked for, or the one that suits where stderr goes. */
        public static Mode detect() {
            String asked = System.getProperty("mmgp.progress");
            if (asked == null || asked.isBlank()) asked = System.getenv("MMGP_PROGRESS");
            if (asked != null && !asked.isBlank()) return parse(asked);
            // The launcher knows whether stderr itself is a terminal ([[ -t 2 ]]); Java only sees stdin/stdout.
            String tty = System.getenv("MMGP_STDERR_TTY");
            if (tty != null && !tty.isBlank()) return tty.trim().equals("1") ? BAR : PLAIN;
            java.io.Console console = System.console();
            return console != null && console.isTerminal() ? BAR : PLAIN;
        }
    }

    /** Plain mode prints a step at most this often, besides the first and the last of a stage. */
    static final long PLAIN_INTERVAL_NANOS = 5_000_000_000L;

    private final PrintStream out;
    private final Mode mode;
    private final LongSupplier clock;
    private final Map<String, Long> stageStart = new HashMap<>();
    private final Map<String, Long> lastPrinted = new HashMap<>();
    private int openLine; // characters of the bar line currently on screen, 0 when none

    /** On {@code out}, in the detected mode, or none when {@code quiet}. */
    public ProgressBar(PrintStream out, boolean quiet) {
        this(out, quiet ? Mode.NONE : Mode.detect(), System::nanoTime);
    }

    ProgressBar(PrintStream out, Mode mode, LongSupplier clock) {
        this.out = out;
        this.mode = mode;
        this.clock = clock;
    }

    public Mode mode() {
        return mode;
    }

    /** A line of its own (e.g. the seed and size of a run), kept apart from a bar being redrawn. */
    public synchronized void note(String line) {
        if (mode == Mode.NONE) return;
        endLine();
        out.println(line);
    }

    @Override
    public synchronized void started(String stage) {
        stageStart.putIfAbsent(stage, clock.getAsLong());
    }

    @Override
    public synchronized void step(String stage, int done, int total, double seconds) {
        if (mode == Mode.NONE) return;
        long now = clock.getAsLong();
        // A stage's clock starts with its first unit (which took `seconds`), unless started() said earlier.
        long start = stageStart.computeIfAbsent(stage, s -> now - (long) (seconds * 1e9));
        double elapsed = (now - start) / 1e9;
        String line = render(stage, done, total, seconds, elapsed);
        if (mode == Mode.BAR) {
            out.print("\r" + line + " ".repeat(Math.max(0, openLine - line.length())));
            openLine = line.length();
            if (done >= total) endLine();
        } else {
            Long last = lastPrinted.get(stage);
            if (done == 1 || done >= total || last == null || now - last >= PLAIN_INTERVAL_NANOS) {
                out.println(line);
                lastPrinted.put(stage, now);
            }
        }
        out.flush();
    }

    @Override
    public synchronized void stage(String stage, double seconds) {
        if (mode == Mode.NONE) return;
        endLine();
        out.printf(Locale.ROOT, "%-8s done in %s%n", stage, duration(seconds));
        stageStart.remove(stage);
        lastPrinted.remove(stage);
    }

    static String render(String stage, int done, int total, double lastSeconds, double elapsed) {
        int width = 24, filled = total <= 0 ? width : Math.min(width, done * width / total);
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-8s [%s%s] %d/%d", stage, "#".repeat(filled), " ".repeat(width - filled), done, total));
        b.append(String.format(Locale.ROOT, "  %s/step", duration(lastSeconds)));
        b.append("  elapsed ").append(clock(elapsed));
        if (done > 0 && done < total) b.append("  ETA ").append(clock(elapsed / done * (total - done)));
        return b.toString();
    }

    /** Seconds as "0.42 s", "12.3 s" or "2 min 05 s". */
    static String duration(double s) {
        if (s < 10) return String.format(Locale.ROOT, "%.2f s", s);
        if (s < 120) return String.format(Locale.ROOT, "%.1f s", s);
        long r = Math.round(s);
        return String.format(Locale.ROOT, "%d min %02d s", r / 60, r % 60);
    }

    /** Seconds as m:ss, or h:mm:ss from an hour on. */
    static String clock(double s) {
        long r = Math.round(s);
        return r >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", r / 3600, r / 60 % 60, r % 60) : String.format(Locale.ROOT, "%d:%02d", r / 60, r % 60);
    }

    private void endLine() {
        if (openLine > 0) out.println();
        openLine = 0;
    }
}
