package mmgp.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** What a worker's consumer commits and where it seeks back to when a record's end could not be stored. */
class OffsetTrackerTest {
    private static final TopicPartition P0 = new TopicPartition("mmgp.image", 0);
    private static final TopicPartition P1 = new TopicPartition("mmgp.image", 1);
    private static final long DELAY = 1_000;

    @Test
    void commitsFollowTheLeadingEndedRecordsOfEachPartition() {
        OffsetTracker t = new OffsetTracker(DELAY);
        for (long o = 0; o < 3; o++) assertThat(t.take(P0, o)).isTrue();
        assertThat(t.take(P1, 7)).isTrue();
        t.ended(P0, 1);
        assertThat(t.commits()).isEmpty(); // 0 still runs
        t.ended(P0, 0);
        t.ended(P1, 7);
        assertThat(t.commits()).isEqualTo(Map.of(P0, 2L, P1, 8L));
        assertThat(t.commits()).isEmpty();
    }

    @Test
    void aDroppedRecordIsDeliveredAgainAndTheOffsetsAfterItAreCommittedOnceItEnds() {
        OffsetTracker t = new OffsetTracker(DELAY);
        for (long o = 10; o < 14; o++) t.take(P0, o);
        t.ended(P0, 10);
        t.dropped(P0, 11, 0); // e.g. the next stage's record could not be sent
        t.ended(P0, 12);
        assertThat(t.commits()).isEqualTo(Map.of(P0, 11L)); // not past the dropped one
        assertThat(t.dueSeeks(DELAY - 1)).isEmpty(); // it waits out its pause
        assertThat(t.dueSeeks(DELAY)).isEqualTo(Map.of(P0, 11L));
        assertThat(t.dueSeeks(DELAY * 5)).as("each drop seeks once").isEmpty();
        // the seek delivers 11, 12, 13 again: 11 runs again, 12 (ended) and 13 (running) do not
        assertThat(t.take(P0, 11)).isTrue();
        assertThat(t.take(P0, 12)).isFalse();
        assertThat(t.take(P0, 13)).isFalse();
        t.ended(P0, 11);
        assertThat(t.commits()).isEqualTo(Map.of(P0, 13L));
        t.ended(P0, 13);
        assertThat(t.commits()).isEqualTo(Map.of(P0, 14L));
    }

    @Test
    void severalDropsOfAPartitionSeekToTheLowestAndAMovedPartitionIsForgotten() {
        OffsetTracker t = new OffsetTracker(DELAY);
        for (long o = 0; o < 4; o++) t.take(P0, o);
        t.take(P1, 0);
        t.dropped(P0, 3, 0);
        t.dropped(P0, 1, 0);
        t.dropped(P1, 0, 0);
        t.forget(P1); // revoked: its next owner delivers it
        t.dropped(P1, 0, 0);
        assertThat(t.dueSeeks(DELAY)).isEqualTo(Map.of(P0, 1L));
        assertThat(t.take(P1, 0)).isTrue(); // a partition assigned again starts afresh
    }
}
