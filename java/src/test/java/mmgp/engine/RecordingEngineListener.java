package mmgp.engine;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mmgp.api.Task;

/** Keeps what the engine reported, as short strings, for assertions. */
final class RecordingEngineListener implements EngineListener {
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void modelLoaded(Task task, String description, double seconds) {
        events.add("loaded " + task.label());
    }

    @Override
    public void batchRan(Task task, int size, double seconds) {
        events.add("batch " + task.label() + " " + size);
    }

    @Override
    public void stageTimed(Task task, String stage, double seconds) {
        events.add("stage " + task.label() + " " + stage);
    }

    @Override
    public void requestEnded(Task task, String outcome, double seconds) {
        events.add("ended " + task.label() + " " + outcome);
    }

    @Override
    public void tokensGenerated(int tokens, double tokensPerSecond) {
        events.add("tokens " + tokens);
    }

    List<String> startingWith(String prefix) {
        return events.stream().filter(e -> e.startsWith(prefix)).toList();
    }
}
