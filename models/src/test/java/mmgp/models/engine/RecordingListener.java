package mmgp.models.engine;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import mmgp.api.ProgressListener;

/** A listener that records what it hears and cancels when {@code cancel} says so. */
final class RecordingListener implements ProgressListener {
    final List<String> steps = new CopyOnWriteArrayList<>();
    final List<String> stages = new CopyOnWriteArrayList<>();
    final List<String> pieces = new CopyOnWriteArrayList<>();
    private final BooleanSupplier cancel;

    RecordingListener(BooleanSupplier cancel) {
        this.cancel = cancel;
    }

    RecordingListener() {
        this(() -> false);
    }

    /** Cancels once {@code steps} steps of {@code stage} were heard. */
    static RecordingListener cancellingAfter(String stage, int steps) {
        RecordingListener[] self = new RecordingListener[1];
        self[0] = new RecordingListener(() -> self[0].steps.stream().filter(s -> s.startsWith(stage + " ")).count() >= steps);
        return self[0];
    }

    @Override
    public void step(String stage, int done, int total, double seconds) {
        steps.add(stage + " " + done + "/" + total);
    }

    @Override
    public void stage(String stage, double seconds) {
        stages.add(stage);
    }

    @Override
    public void text(String stage, String piece) {
        pieces.add(piece);
    }

    @Override
    public boolean cancelled() {
        return cancel.getAsBoolean();
    }

    String text() {
        return String.join("", pieces);
    }
}
