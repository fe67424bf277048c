package mmgp.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import mmgp.server.JobRecord;
import mmgp.server.JobStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cluster's job table on a real PostgreSQL: claims count attempts, an end is recorded once (also when two writers race), cancels, pipeline stages. */
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
        assertThat(store.finishOnce(id, JobStatus.DONE, "{\"width\":8}", null, List.of("image.png", "result.json"), null, Instant.now())).isTrue();
        // a redelivery: nothing to run, and a second end changes nothing
        assertThat(store.claim(id, "w2", 3, Instant.now())).isEqualTo(PostgresJobStore.Claim.SKIP);
        assertThat(store.finishOnce(id, JobStatus.FAILED, null, "late", List.of(), null, Instant.now())).isFalse();
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
        // the worker that gave up records the end (a pipeline's with its failed_stage summary); dying first, the next delivery gives up again
        assertThat(store.claim(id, "w4", 3, Instant.now())).isEqualTo(PostgresJobStore.Claim.GAVE_UP);
        assertThat(store.finishOnce(id, JobStatus.FAILED, null, PostgresJobStore.gaveUp(3), List.of(), null, Instant.now())).isTrue();
        JobRecord r = store.find(id).orElseThrow();
        assertThat(r.status()).isEqualTo(JobStatus.FAILED);
        assertThat(r.error()).contains("gave up after 3 attempts");
    }

    @Test
    void aReleasedClaimDoesNotCountAsAnAttempt() {
        String id = queued();
        store.claim(id, "w1", 1, Instant.now());
        assertThat(store.release(id, null, "w1", Instant.now())).isTrue(); // its partition moved to another worker
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
    void twoWritersRacingToEndAJobRecordExactlyOneEnd() throws Exception {
        // a redelivered record run on a second worker while the first still runs: both finish at once
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 40; i++) {
                String id = queued();
                store.claim(id, "w1", 3, Instant.now());
                store.claim(id, "w2", 3, Instant.now());
                CyclicBarrier start = new CyclicBarrier(2);
                Future<Boolean> first = pool.submit(() -> {
                    start.await();
                    return store.finishOnce(id, JobStatus.DONE, "{\"by\":\"w1\"}", null, List.of("image.png", "result.json"), "a", Instant.now());
                });
                Future<Boolean> second = pool.submit(() -> {
                    start.await();
                    return store.finishOnce(id, JobStatus.FAILED, "{\"by\":\"w2\"}", "boom", List.of(), "b", Instant.now());
                });
                boolean w1 = first.get(10, TimeUnit.SECONDS);
                boolean w2 = second.get(10, TimeUnit.SECONDS);
                assertThat(w1 ^ w2).as("exactly one writer records the end of %s", id).isTrue();
                JobRecord r = store.find(id).orElseThrow();
                // the row is the winner's, whole: status, result, error and variant of one writer, never a mix
                assertThat(r.status()).isEqualTo(w1 ? JobStatus.DONE : JobStatus.FAILED);
                assertThat(r.resultJson()).isEqualTo(w1 ? "{\"by\":\"w1\"}" : "{\"by\":\"w2\"}");
                assertThat(r.error()).isEqualTo(w1 ? null : "boom");
                assertThat(store.variantOf(id)).contains(w1 ? "a" : "b");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aCancelRacingACompletionEitherCancelsOrLetsItFinishNeverBoth() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 40; i++) {
                String id = queued();
                boolean claimFirst = i % 2 == 0;
                CyclicBarrier start = new CyclicBarrier(2);
                // a queued job: the claim of a worker against a DELETE; a running one: its end against a DELETE
                if (!claimFirst) store.claim(id, "w1", 3, Instant.now());
                Future<Object> worker = pool.submit(() -> {
                    start.await();
                    return claimFirst ? store.claim(id, "w1", 3, Instant.now())
                            : (Object) store.finishOnce(id, JobStatus.DONE, "{}", null, List.of("result.json"), null, Instant.now());
                });
                Future<java.util.Optional<JobStatus>> cancel = pool.submit(() -> {
                    start.await();
                    return store.requestCancel(id, Instant.now());
                });
                Object won = worker.get(10, TimeUnit.SECONDS);
                java.util.Optional<JobStatus> cancelled = cancel.get(10, TimeUnit.SECONDS);
                JobStatus end = store.find(id).orElseThrow().status();
                if (claimFirst) {
                    if (won == PostgresJobStore.Claim.RUN) {
                        // claimed first: the cancel only flags it for its worker
                        assertThat(cancelled).contains(JobStatus.RUNNING);
                        assertThat(end).isEqualTo(JobStatus.RUNNING);
                        assertThat(store.cancelRequested(id)).isTrue();
                    } else {
                        // cancelled while queued: no worker runs it
                        assertThat(cancelled).contains(JobStatus.CANCELLED);
                        assertThat(won).isEqualTo(PostgresJobStore.Claim.SKIP);
                        assertThat(end).isEqualTo(JobStatus.CANCELLED);
                    }
                } else {
                    assertThat(won).isEqualTo(true); // the end is recorded either way: a running job's cancel is a request to its worker
                    assertThat(end).isEqualTo(JobStatus.DONE);
                    assertThat(cancelled.isEmpty() || cancelled.get() == JobStatus.RUNNING).isTrue();
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void frontEndsTakingFromOneKeyAtOnceSpendEachTokenOnce() throws Exception {
        // two front ends (two stores, two connection pools) racing for one key's 5 tokens a minute
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (PostgresJobStore other = PostgresJobStore.open(pg.jdbcUrl(), pg.user(), "")) {
            String key = "k" + UUID.randomUUID().toString().substring(0, 8);
            CyclicBarrier start = new CyclicBarrier(2);
            List<Future<List<Long>>> fronts = List.of(store, other).stream().map(s -> pool.submit(() -> {
                start.await();
                List<Long> waits = new java.util.ArrayList<>();
                for (int i = 0; i < 8; i++) waits.add(s.takeTokens(key, 5, 1));
                return waits;
            })).toList();
            List<Long> all = new java.util.ArrayList<>();
            for (Future<List<Long>> f : fronts) all.addAll(f.get(30, TimeUnit.SECONDS));
            assertThat(all.stream().filter(w -> w == 0)).as("tokens taken").hasSize(5);
            assertThat(all.stream().filter(w -> w > 0)).as("refusals, each with a wait").hasSize(11).allMatch(w -> w >= 1 && w <= 12);
            // more than a bucket holds never fits; another key has its own bucket
            assertThat(store.takeTokens(key, 5, 6)).isEqualTo(60);
            assertThat(other.takeTokens(key + "-2", 5, 5)).isZero();
        } finally {
            pool.shutdownNow();
        }
    }

    private static String pipeline() {
        String id = UUID.randomUUID().toString();
        Instant now = Instant.now();
        store.insert(new JobRecord(id, "pipeline", JobStatus.QUEUED, now, now, "{\"upload\":\"input.mp4\"}", null, null, "key1", List.of()));
        return id;
    }

    @Test
    void aPipelineAdvancesStageByStageAndARedeliveredStageIsSkipped() {
        String id = pipeline();
        assertThat(store.stageOf(id)).contains("caption");
        // a record of another stage than the job's is not run
        assertThat(store.claim(id, "image", "w1", 3, Instant.now())).isEqualTo(PostgresJobStore.Claim.SKIP);
        assertThat(store.claim(id, "caption", "w1", 3, Instant.now())).isEqualTo(PostgresJobStore.Claim.RUN);
        assertThat(store.advance(id, "caption", "image", "{\"caption\":{\"text\":\"a cat\"}}", List.of("caption.txt", "result.json"), Instant.now())).isTrue();
        // a second run of the caption (its record redelivered) cannot advance it again
        assertThat(store.advance(id, "caption", "image", "{}", List.of(), Instant.now())).isFalse();
        assertThat(store.unsentStage(id)).contains("image");
        store.stageSent(id, "image");
        assertThat(store.unsentStage(id)).isEmpty();
        // the caption's record redelivered: nothing to run
        assertThat(store.claim(id, "caption", "w2", 3, Instant.now())).isEqualTo(PostgresJobStore.Claim.SKIP);
        assertThat(store.claim(id, "image", "w2", 3, Instant.now())).isEqualTo(PostgresJobStore.Claim.RUN);
        assertThat(store.attempts().get(id)).as("attempts count per stage").isEqualTo(1);
        JobRecord r = store.find(id).orElseThrow();
        assertThat(r.status()).isEqualTo(JobStatus.RUNNING);
        assertThat(r.resultFiles()).containsExactly("caption.txt", "result.json");
        // a cancel as the image ends: the job does not advance, and its end keeps the caption's results
        store.requestCancel(id, Instant.now());
        assertThat(store.advance(id, "image", "video", "{}", List.of("image.png"), Instant.now())).isFalse();
        // a duplicate run of the caption, failing late, cannot end the job the image stage now holds
        assertThat(store.finishStage(id, "caption", JobStatus.FAILED, null, "caption stage: boom", List.of(), Instant.now())).isFalse();
        assertThat(store.finishStage(id, "image", JobStatus.CANCELLED, null, "video stage: cancelled", List.of(), Instant.now())).isTrue();
        r = store.find(id).orElseThrow();
        assertThat(r.status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(r.resultJson()).contains("a cat");
        assertThat(r.resultFiles()).containsExactly("caption.txt", "result.json");
        assertThat(store.stageOf(id)).isEmpty();
    }

    @Test
    void listsAKeysJobsNewestFirstPageByPage() {
        mmgp.server.JobStoreListing.check(store); // the same checks as the H2 store's, on the V2 index
    }

    @Test
    void aFailingDuplicateOfAnAdvancedStageLeavesTheQueuedNextStageAlone() {
        String id = pipeline();
        store.claim(id, "caption", "w1", 3, Instant.now());
        store.claim(id, "caption", "w2", 3, Instant.now()); // the record redelivered to a second worker while the first runs it
        assertThat(store.advance(id, "caption", "image", "{\"caption\":{\"text\":\"a cat\"}}", List.of("caption.txt", "result.json"), Instant.now())).isTrue();
        assertThat(store.finishStage(id, "caption", JobStatus.FAILED, null, "boom", List.of(), Instant.now())).isFalse();
        assertThat(store.finishStage(id, "caption", JobStatus.CANCELLED, null, "cancelled", List.of(), Instant.now())).isFalse();
        JobRecord r = store.find(id).orElseThrow();
        assertThat(r.status()).isEqualTo(JobStatus.RUNNING);
        assertThat(r.error()).isNull();
        assertThat(store.stageOf(id)).contains("image");
    }

    @Test
    void aDuplicateRecordOfARunningStageIsSkippedWhileItsOwnRecordMayClaimItAgain() {
        String id = pipeline();
        assertThat(store.claim(id, "caption", "mmgp.understand-0@5", "w1", 3, Instant.now())).isEqualTo(PostgresJobStore.Claim.RUN);
        // the same stage's record sent twice (a worker failed between the send and stage_sent): not run a second time
        assertThat(store.claim(id, "caption", "mmgp.understand-2@9", "w2", 3, Instant.now())).isEqualTo(PostgresJobStore.Claim.SKIP);
        // its own record delivered again (w1 died): taken over, counted as an attempt
        assertThat(store.claim(id, "caption", "mmgp.understand-0@5", "w2", 3, Instant.now())).isEqualTo(PostgresJobStore.Claim.RUN);
        assertThat(store.attempts().get(id)).isEqualTo(2);
        // the next stage's first record claims it whatever record ran the caption
        store.advance(id, "caption", "image", "{\"caption\":{\"text\":\"a cat\"}}", List.of("caption.txt", "result.json"), Instant.now());
        assertThat(store.claim(id, "image", "mmgp.image-1@3", "w1", 3, Instant.now())).isEqualTo(PostgresJobStore.Claim.RUN);
        // a duplicate cannot record a cancel for the run of another record either
        store.requestCancel(id, Instant.now());
        assertThat(store.claim(id, "image", "mmgp.image-1@4", "w2", 3, Instant.now())).isEqualTo(PostgresJobStore.Claim.SKIP);
        assertThat(store.find(id).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
    }

    @Test
    void revokingAFinishedStagesRecordDoesNotReleaseTheNextStageTheSameWorkerRuns() {
        String id = pipeline();
        store.claim(id, "caption", "w1", 3, Instant.now());
        store.advance(id, "caption", "image", "{\"caption\":{\"text\":\"a cat\"}}", List.of("caption.txt", "result.json"), Instant.now());
        store.stageSent(id, "image");
        assertThat(store.claim(id, "image", "w1", 3, Instant.now())).isEqualTo(PostgresJobStore.Claim.RUN);
        // the caption record's partition is revoked before its offset was committed
        assertThat(store.release(id, "caption", "w1", Instant.now())).isFalse();
        assertThat(store.find(id).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
        assertThat(store.attempts().get(id)).isEqualTo(1);
        assertThat(store.release(id, "image", "w1", Instant.now())).isTrue();
        assertThat(store.find(id).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
    }

    @Test
    void anUnsentNextStageIsFoundBySweepsAfterAWhileAndTakenByOneOfThem() {
        String id = pipeline();
        Instant advanced = Instant.now().minusSeconds(120);
        store.claim(id, "caption", "w1", 3, advanced);
        store.advance(id, "caption", "image", "{\"caption\":{\"text\":\"a cat\"}}", List.of("caption.txt", "result.json"), advanced);
        // its worker failed to send the image's record: too recent for a sweep at first
        assertThat(store.unsentBefore(advanced.minusSeconds(1), 100)).doesNotContain(id);
        Instant cutoff = Instant.now().minusSeconds(30);
        assertThat(store.unsentBefore(cutoff, 100)).contains(id);
        // two sweeps at once: one takes it
        Instant now = Instant.now();
        assertThat(store.takeUnsentStage(id, cutoff, now)).contains("image");
        assertThat(store.takeUnsentStage(id, cutoff, now)).isEmpty();
        store.stageSent(id, "image");
        assertThat(store.unsentBefore(Instant.now(), 100)).doesNotContain(id);
        assertThat(store.unsentStage(id)).isEmpty();
    }

    @Test
    void aConnectionIsNeverLeakedAndTheirNumberIsBounded() throws Exception {
        try (ConnectionPool pool = new ConnectionPool(pg.jdbcUrl(), pg.user(), "", 2, Duration.ofMillis(300))) {
            // work that throws a runtime exception: its connection is closed, not kept nor lost
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> pool.with(c -> {
                c.createStatement().execute("SELECT 1");
                throw new IllegalStateException("boom");
            })).hasMessage("boom");
            assertThat(pool.available()).isEqualTo(2);
            assertThat(pool.idleCount()).isZero();
            // two callers hold both connections: a third waits, then is refused with a clear error
            java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(2);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            ExecutorService threads = Executors.newFixedThreadPool(2);
            try {
                for (int i = 0; i < 2; i++) threads.submit(() -> pool.with(c -> {
                    held.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return null;
                }));
                assertThat(held.await(30, TimeUnit.SECONDS)).isTrue();
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> pool.with(c -> 1))
                        .isInstanceOf(mmgp.server.JobStore.JobStoreException.class).hasMessageContaining("all 2 connections");
                release.countDown();
                threads.shutdown();
                assertThat(threads.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
                assertThat(pool.<Integer>with(c -> 1).intValue()).isEqualTo(1);
                assertThat(pool.idleCount()).isEqualTo(2);
            } finally {
                threads.shutdownNow();
            }
        }
    }

    @Test
    void anUnreachableDatabaseFailsACallerWithinSeconds() {
        // a port nothing listens on: the refusal is a JobStoreException (a front end's 503), not a hang or a leak
        try (ConnectionPool pool = new ConnectionPool("jdbc:postgresql://127.0.0.1:1/mmgp", "mmgp", "", 2, Duration.ofSeconds(2))) {
            long t0 = System.nanoTime();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> pool.with(c -> 1)).isInstanceOf(mmgp.server.JobStore.JobStoreException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
            assertThat(pool.available()).isEqualTo(2);
        }
    }
}
