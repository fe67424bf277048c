package mmgp.cli;

import java.io.PrintStream;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import mmgp.api.ProgressListener;

/**
 * A generation's progress on stderr: per step the count, the last step's time, the elapsed time
 * of the stage and an estimate of the time left; a line per finished stage. A stage announced
 * with {@link #stageStarted} (a model load, text encoding, an untiled VAE decode: work with no
 * steps of its own) shows as running with its elapsed time until it ends; no estimate of the time
 * left is shown for those, as nothing measured so far predicts it.
 *
 * <p>Three modes ({@link Mode}): a bar redrawn in place on a terminal; one plain line per
 * update, at most one every few seconds, when stderr goes to a file or a pipe (a log then reads
 * line by line instead of as one {@code \r}-joined line); nothing with {@code --quiet}. The mode
 * comes from {@code --progress} (the {@code mmgp.progress} system property), else the
 * {@code MMGP_PROGRESS} environment variable, else whether stderr is a terminal (as the
 * launcher found, in {@code MMGP_STDERR_TTY}; else whether the JVM has a terminal console).
 *
 * <p>While a started stage runs, or on a terminal a step bar waits for its next step, a daemon
 * thread ticks once a second: on a terminal it redraws the stage's line or the step bar (elapsed
 * time going up, estimate down; a step bar with no estimate yet shows none); in plain mode it
 * prints a "running" line when the stage has printed nothing for
 * {@link #PLAIN_RUNNING_INTERVAL_NANOS}. The thread ends by itself once nothing is open (a later
 * stage or step bar starts another); {@link #close} stops it, ends an open line and latches:
 * what comes after close (a late step or stage from a run still stopping) is ignored, so no
 * ticker starts again and nothing is drawn after the final output.
 */
public final class ProgressBar implements ProgressListener, AutoCloseable {
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

    /** Plain mode says a started stage is still running when it has printed nothing for this long. */
    static final long PLAIN_RUNNING_INTERVAL_NANOS = 30_000_000_000L;

    private static final long TICK_MILLIS = 1000;

    /** The step bar on screen (terminal mode), redrawn by the ticker between steps. */
    private record OpenStep(String stage, int done, int total, double lastSeconds, long at, double etaAtStep) {}

    private final PrintStream out;
    private final Mode mode;
    private final LongSupplier clock;
    private final Map<String, Long> stageStart = new HashMap<>();
    private final Map<String, Long> lastPrinted = new HashMap<>();
    private final LinkedHashMap<String, Long> running = new LinkedHashMap<>(); // started, not yet ended; the last is shown
    private final boolean ticking;
    private int openLine; // characters of the bar line currently on screen, 0 when none
    private OpenStep openStep;
    private Thread ticker;
    private boolean closed;

    /** On {@code out}, in the detected mode, or none when {@code quiet}. */
    public ProgressBar(PrintStream out, boolean quiet) {
        this(out, quiet ? Mode.NONE : Mode.detect(), System::nanoTime, true);
    }

    /** Without a ticker thread: tests call {@link #tick} with their own clock. */
    ProgressBar(PrintStream out, Mode mode, LongSupplier clock) {
        this(out, mode, clock, false);
    }

    private ProgressBar(PrintStream out, Mode mode, LongSupplier clock, boolean ticking) {
        this.out = out;
        this.mode = mode;
        this.clock = clock;
        this.ticking = ticking;
    }

    public Mode mode() {
        return mode;
    }

    /** A line of its own (e.g. the seed and size of a run), kept apart from a bar being redrawn. */
    public synchronized void note(String line) {
        if (mode == Mode.NONE || closed) return;
        endLine();
        out.println(line);
    }

    @Override
    public synchronized void started(String stage) {
        stageStart.putIfAbsent(stage, clock.getAsLong());
    }

    /** Shows {@code stage} as running: a line that ticks on a terminal, a "started" line in plain mode. */
    @Override
    public synchronized void stageStarted(String stage) {
        if (mode == Mode.NONE || closed) return;
        long now = clock.getAsLong();
        stageStart.put(stage, now);
        running.remove(stage);
        running.put(stage, now);
        lastPrinted.put(stage, now);
        if (mode == Mode.BAR) {
            openStep = null;
            redraw(runningLine(stage, 0));
        } else {
            endLine();
            out.printf(Locale.ROOT, "%-8s started%n", stage);
        }
        out.flush();
        startTicker();
    }

    /** Starts the ticker unless it runs (or this bar has none); it ends by itself once nothing is open. */
    private void startTicker() {
        if (ticking && !closed && ticker == null && hasOpen()) ticker = Thread.ofPlatform().daemon().name("mmgp-progress").start(this::tickLoop);
    }

    /** Whether the ticker has something to redraw: a started stage, or (terminal) a step bar between steps. */
    private boolean hasOpen() {
        return !running.isEmpty() || openStep != null;
    }

    /** The ticker thread while one runs, else null (for tests). */
    synchronized Thread ticker() {
        return ticker;
    }

    /**
     * What the ticker does each second: on a terminal, redraws the open step bar (elapsed up,
     * estimate down) or the running stage's line; in plain mode, a "running" line for the current
     * stage when it has printed nothing for {@link #PLAIN_RUNNING_INTERVAL_NANOS}.
     */
    synchronized void tick() {
        if (mode == Mode.NONE || closed || !hasOpen()) return;
        long now = clock.getAsLong();
        if (mode == Mode.BAR) {
            if (openStep != null) {
                OpenStep o = openStep;
                double stepElapsed = (now - stageStart.getOrDefault(o.stage(), o.at())) / 1e9;
                // An unknown estimate (step 0) stays unknown rather than becoming 0:00.
                double eta = o.etaAtStep() < 0 ? -1 : Math.max(0, o.etaAtStep() - (now - o.at()) / 1e9);
                redraw(render(o.stage(), o.done(), o.total(), o.lastSeconds(), stepElapsed, eta));
            } else {
                String stage = running.lastEntry().getKey();
                redraw(runningLine(stage, (now - stageStart.getOrDefault(stage, running.lastEntry().getValue())) / 1e9));
            }
        } else if (!running.isEmpty()) {
            String stage = running.lastEntry().getKey();
            Long last = lastPrinted.get(stage);
            if (last == null || now - last >= PLAIN_RUNNING_INTERVAL_NANOS) {
                out.println(runningLine(stage, (now - stageStart.getOrDefault(stage, running.lastEntry().getValue())) / 1e9));
                lastPrinted.put(stage, now);
            }
        }
        out.flush();
    }

    private void tickLoop() {
        while (true) {
            try {
                Thread.sleep(TICK_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            synchronized (this) {
                if (ticker != Thread.currentThread()) return;
                if (!hasOpen()) {
                    // Nothing to redraw: the thread ends; the next stage or step bar starts another.
                    ticker = null;
                    return;
                }
                tick();
            }
        }
    }

    static String runningLine(String stage, double elapsed) {
        return String.format(Locale.ROOT, "%-8s running  elapsed %s", stage, clock(elapsed));
    }

    /** Stops the ticker and ends an open line; what comes later (steps, stages, notes) is ignored. */
    @Override
    public synchronized void close() {
        closed = true;
        running.clear();
        openStep = null;
        if (ticker != null) ticker.interrupt();
        ticker = null;
        endLine();
        out.flush();
    }

    @Override
    public synchronized void step(String stage, int done, int total, double seconds) {
        if (mode == Mode.NONE || closed) return;
        long now = clock.getAsLong();
        // A stage's clock starts with its first unit (which took `seconds`), unless started() said earlier.
        long start = stageStart.computeIfAbsent(stage, s -> now - (long) (seconds * 1e9));
        double elapsed = (now - start) / 1e9;
        double eta = done > 0 && done < total ? elapsed / done * (total - done) : -1;
        String line = render(stage, done, total, seconds, elapsed, eta);
        if (mode == Mode.BAR) {
            redraw(line);
            openStep = done < total ? new OpenStep(stage, done, total, seconds, now, eta) : null;
            if (done >= total) endLine();
            else startTicker(); // counts the estimate down between steps, also when no started stage runs
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
        if (mode == Mode.NONE || closed) return;
        if (openStep != null && openStep.stage().equals(stage)) openStep = null;
        if (mode == Mode.BAR && openLine > 0 && running.containsKey(stage) && openStep == null) {
            // The stage's own running line: replaced by its end line rather than left above it.
            out.print("\r" + " ".repeat(openLine) + "\r");
            openLine = 0;
        }
        running.remove(stage);
        endLine();
        out.printf(Locale.ROOT, "%-8s done in %s%n", stage, duration(seconds));
        stageStart.remove(stage);
        lastPrinted.remove(stage);
    }

    static String render(String stage, int done, int total, double lastSeconds, double elapsed) {
        return render(stage, done, total, lastSeconds, elapsed, done > 0 && done < total ? elapsed / done * (total - done) : -1);
    }

    /** A step line; {@code eta} below zero leaves the estimate out. */
    static String render(String stage, int done, int total, double lastSeconds, double elapsed, double eta) {
        int width = 24, filled = total <= 0 ? width : Math.min(width, done * width / total);
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-8s [%s%s] %d/%d", stage, "#".repeat(filled), " ".repeat(width - filled), done, total));
        b.append(String.format(Locale.ROOT, "  %s/step", duration(lastSeconds)));
        b.append("  elapsed ").append(clock(elapsed));
        if (eta >= 0 && done < total) b.append("  ETA ").append(clock(eta));
        return b.toString();
    }

    /** Terminal mode: {@code line} over the one on screen, blanking what a longer one left. */
    private void redraw(String line) {
        out.print("\r" + line + " ".repeat(Math.max(0, openLine - line.length())));
        openLine = line.length();
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
        openStep = null;
    }
}
