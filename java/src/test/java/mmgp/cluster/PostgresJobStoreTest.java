package mmgp.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import mmgp.server.JobRecord;
import mmgp.server.JobStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cluster's job table on a real PostgreSQL: claims count attempts, an end is recorded once, cancels. */
class PostgresJobStoreTest {
    @TempDir
    static Path dir;
    static LocalPostgres pg;
    static PostgresJobStore store;

    @BeforeAll
    static void start() throws Exception {
        pg = LocalPostgres.start(dir, Duration.ofMinutes(2));
        store = PostgresJobStore.open(pg.jdbcUrl(), pg.user(), "");
        // a second open (another process starting) finds the schema migrated and changes nothing
        PostgresJobStore.open(pg.jdbcUrl(), pg.user(), "").close();
    }

    @AfterAll
    static void stop() {
        if (store != null) store.close();
        if (pg != null) pg.close();
    }

    private static String queued() {
        String id = UUID.randomUUID().toString();
        Instant now = Instant.now();
        store.insert(new JobRecord(id, "image", JobStatus.QUEUED, now, now, "{\"prompt\":\"a cat\"}", null, null, "key1", List.of()));
        return id;
    }

    @Test
    void aFinishedJobIsNotClaimedAgainAndItsEndIsRecordedOnce() {
        String id = queued();
        assertThat(store.claim(id, "w1", 3, Instant.now())).isEqualTo(PostgresJobStore.Claim.RUN);
        assertThat(store.find(id).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
        assertThat(store.finishOnce(id, JobStatus.DONE, "{\"width\":8}", null, List.of("image.png", "result.json"), Instant.now())).isTrue();
        // a redelivery: nothing to run, and a second end changes nothing
        assertThat(store.claim(id, "w2", 3, Instant.now())).isEqualTo(PostgresJobStore.Claim.SKIP);
        assertThat(store.finishOnce(id, JobStatus.FAILED, null, "late", List.of(), Instant.now())).isFalse();
        JobRecord r = store.find(id).orElseThrow();
        assertThat(r.status()).isEqualTo(JobStatus.DONE);
        assertThat(r.resultFiles()).containsExactly("image.png", "result.json");
        assertThat(r.keyId()).isEqualTo("key1");
        assertThat(store.attempts().get(id)).isEqualTo(1);
    }

    @Test
    void aJobWhoseWorkersKeepDyingFailsAfterMaxAttempts() {
        String id = queued();
        // each claim without an end is a worker that died running it
        for (int i = 0; i < 3; i++) assertThat(store.claim(id, "w" + i, 3, Instant.now())).isEqualTo(PostgresJobStore.Claim.RUN);
        assertThat(store.claim(id, "w3", 3, Instant.now())).isEqualTo(PostgresJobStore.Claim.GAVE_UP);
        JobRecord r = store.find(id).orElseThrow();
        assertThat(r.status()).isEqualTo(JobStatus.FAILED);
        assertThat(r.error()).contains("gave up after 3 attempts");
    }

    @Test
    void aReleasedClaimDoesNotCountAsAnAttempt() {
        String id = queued();
        store.claim(id, "w1", 1, Instant.now());
        store.release(id, "w1", Instant.now()); // its partition moved to another worker
        assertThat(store.find(id).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
        assertThat(store.claim(id, "w2", 1, Instant.now())).isEqualTo(PostgresJobStore.Claim.RUN);
    }

    @Test
    void cancellingAQueuedJobEndsItAndARunningOneIsFlagged() {
        String queued = queued();
        assertThat(store.requestCancel(queued, Instant.now())).contains(JobStatus.CANCELLED);
        assertThat(store.claim(queued, "w1", 3, Instant.now())).isEqualTo(PostgresJobStore.Claim.SKIP);

        String running = queued();
        store.claim(running, "w1", 3, Instant.now());
        assertThat(store.requestCancel(running, Instant.now())).contains(JobStatus.RUNNING);
        assertThat(store.cancelRequested(running)).isTrue();
        // its worker died: the next delivery records the cancel instead of running it
        assertThat(store.claim(running, "w2", 3, Instant.now())).isEqualTo(PostgresJobStore.Claim.CANCELLED);
        assertThat(store.find(running).orElseThrow().status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(store.requestCancel(running, Instant.now())).isEmpty();
        assertThat(store.countByStatus().get(JobStatus.CANCELLED)).isGreaterThanOrEqualTo(2);
    }

    @Test
    void listsAKeysJobsNewestFirstPageByPage() {
        mmgp.server.JobStoreListing.check(store); // the same checks as the H2 store's, on the V2 index
    }
}
