package mmgp.api;

import java.util.concurrent.CancellationException;

/**
 * Hears a generation's progress and may cancel it. Every model loop calls {@link #step} after
 * each unit of work (a denoising step, a decode tile, a token) and stops with a
 * {@link CancellationException} once {@link #cancelled()} answers true.
 */
public interface ProgressListener {
    ProgressListener NONE = new ProgressListener() {};

    /** What {@link #onStep} calls: a lambda for the one event most callers want. */
    @FunctionalInterface
    interface StepHandler {
        void step(String stage, int done, int total, double seconds);
    }

    /**
     * A listener that hears only steps, written as a lambda:
     * {@code ProgressListener.onStep((stage, done, total, s) -> System.err.println(stage + " " + done + "/" + total))}.
     */
    static ProgressListener onStep(StepHandler handler) {
        java.util.Objects.requireNonNull(handler, "handler");
        return new ProgressListener() {
            @Override
            public void step(String stage, int done, int total, double seconds) {
                handler.step(stage, done, total, seconds);
            }
        };
    }

    /**
     * The request left its queue and its model started computing it ({@code stage} names the
     * model's task, e.g. "image"; a pipeline reports "caption.understand"-style prefixed names).
     * Called once per model run, before any other event of that run.
     */
    default void started(String stage) {}

    /**
     * A stage that may run long before its first step or its end (a model load, text encoding,
     * a VAE decode) began; {@link #stage} follows when it ends, and {@link #step} events of the
     * same name may come between (e.g. decode tiles). Lets a progress display show the stage as
     * running, with its elapsed time, instead of nothing until it ends.
     */
    default void stageStarted(String stage) {}

    /** {@code done} of {@code total} units of {@code stage} have finished, the last one in {@code seconds}. */
    default void step(String stage, int done, int total, double seconds) {}

    /** A whole stage (e.g. "tokenize", "encode", "decode") finished in {@code seconds}. */
    default void stage(String stage, double seconds) {}

    /** A piece of text produced by {@code stage} (e.g. the next characters of a caption). */
    default void text(String stage, String piece) {}

    default boolean cancelled() {
        return false;
    }

    /** Throws {@link CancellationException} when the listener asks to stop. */
    default void checkCancelled(String where) {
        if (cancelled()) throw new CancellationException("cancelled during " + where);
    }
}
