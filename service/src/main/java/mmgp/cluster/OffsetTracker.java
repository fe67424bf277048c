package mmgp.cluster;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;

/**
 * A worker consumer's bookkeeping of the records it took, per partition (used by its poller
 * thread only). The committed offset follows the leading ended records, so a record that is
 * still running, or that was dropped, holds every later offset of its partition uncommitted.
 *
 * <p>A dropped record (its end could not be stored: the database or Kafka failed after it was
 * taken) is not forgotten: it stays in place, blocking the commit, and {@link #dueSeeks} tells
 * the poller to seek back to it once its pause has passed, so Kafka delivers it again. Records
 * after it that this consumer still runs or already ended are delivered again by that seek too;
 * {@link #take} refuses those, so none runs twice here.
 */
final class OffsetTracker {
    private enum State { RUNNING, ENDED, DROPPED }

    private final Map<TopicPartition, TreeMap<Long, State>> pending = new HashMap<>();
    /** Dropped records waiting for their seek: partition, offset, when (System.nanoTime). */
    private final List<Retry> retries = new ArrayList<>();
    private final long retryDelayNanos;

    private record Retry(TopicPartition partition, long offset, long dueNanos) {}

    /** @param retryDelayNanos how long a dropped record waits before it is delivered again (a failing database is not hammered) */
    OffsetTracker(long retryDelayNanos) {
        this.retryDelayNanos = retryDelayNanos;
    }

    /** Whether to run the record at {@code offset}: not when this consumer runs it already or has ended it (a seek back delivers those again). */
    boolean take(TopicPartition tp, long offset) {
        TreeMap<Long, State> offsets = pending.computeIfAbsent(tp, k -> new TreeMap<>());
        State s = offsets.get(offset);
        if (s == State.RUNNING || s == State.ENDED) return false;
        offsets.put(offset, State.RUNNING);
        return true;
    }

    /** The record's end is stored: its offset may be committed once those before it are. */
    void ended(TopicPartition tp, long offset) {
        TreeMap<Long, State> offsets = pending.get(tp);
        if (offsets != null) offsets.replace(offset, State.ENDED);
    }

    /** The record's end could not be stored: it stays uncommitted and is delivered again ({@link #dueSeeks}) after the retry delay. */
    void dropped(TopicPartition tp, long offset, long nowNanos) {
        TreeMap<Long, State> offsets = pending.get(tp);
        if (offsets == null || offsets.replace(offset, State.DROPPED) == null) return; // its partition moved away: the next owner has it
        retries.add(new Retry(tp, offset, nowNanos + retryDelayNanos));
    }

    /**
     * Per partition still tracked, the lowest offset to seek back to now (dropped records whose
     * delay has passed); each dropped record is returned once. The caller seeks only backwards
     * (a seek past a record it has not taken yet would skip it).
     */
    Map<TopicPartition, Long> dueSeeks(long nowNanos) {
        Map<TopicPartition, Long> seeks = new HashMap<>();
        retries.removeIf(r -> {
            if (r.dueNanos() - nowNanos > 0) return false;
            TreeMap<Long, State> offsets = pending.get(r.partition());
            if (offsets != null && offsets.get(r.offset()) == State.DROPPED) seeks.merge(r.partition(), r.offset(), Math::min);
            return true;
        });
        return seeks;
    }

    /** Per partition, the offset to commit (past every leading ended record), forgetting those records; partitions with nothing new are absent. */
    Map<TopicPartition, Long> commits() {
        Map<TopicPartition, Long> out = new HashMap<>();
        pending.forEach((tp, offsets) -> {
            long next = -1;
            while (!offsets.isEmpty() && offsets.firstEntry().getValue() == State.ENDED) next = offsets.pollFirstEntry().getKey() + 1;
            if (next >= 0) out.put(tp, next);
        });
        return out;
    }

    /** The partition moved to another worker: nothing of it is tracked here any more. */
    void forget(TopicPartition tp) {
        pending.remove(tp);
        retries.removeIf(r -> r.partition().equals(tp));
    }
}
