package mmgp.engine;

import mmgp.api.ImageResult;
import mmgp.api.StageTimings;
import mmgp.api.Task;
import mmgp.api.UnderstandResult;
import mmgp.api.VideoResult;

/** Passes the measurements a finished request carries to the EngineListener. */
final class ResultMetrics {
    private ResultMetrics() {}

    static void report(Task task, Object result, EngineListener listener) {
        StageTimings timings = timings(result);
        if (timings != null) timings.seconds().forEach((stage, secs) -> listener.stageTimed(task, stage, secs));
        if (result instanceof UnderstandResult understood) {
            listener.tokensGenerated(understood.generatedTokens(), understood.tokensPerSecond());
        }
    }

    /** The stage timings of any task's result; null when the model left them out. */
    static StageTimings timings(Object result) {
        return switch (result) {
            case UnderstandResult r -> r.timings();
            case ImageResult r -> r.timings();
            case VideoResult r -> r.timings();
            case null, default -> null;
        };
    }
}
