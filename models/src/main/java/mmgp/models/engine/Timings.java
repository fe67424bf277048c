package mmgp.models.engine;

import mmgp.api.StageTimings;

/** Batch timings handed to each result of the batch. */
final class Timings {
    private Timings() {}

    /** A copy per result: callers may add their own stages to it. */
    static StageTimings copyOf(StageTimings timings) {
        StageTimings copy = new StageTimings();
        timings.seconds().forEach(copy::add);
        return copy;
    }
}
