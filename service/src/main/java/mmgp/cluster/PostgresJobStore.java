package mmgp.cluster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import mmgp.server.JobQuery;
import mmgp.server.JobRecord;
import mmgp.server.JobStatus;
import mmgp.server.JobStore;
import mmgp.server.RateLimiter;
import org.flywaydb.core.Flyway;

/**
 * The cluster's job table in PostgreSQL, shared by every front end and worker; its schema is
 * kept by Flyway (classpath:mmgp/cluster/db). Besides what the single-node store records, a
 * worker claims a job before running it ({@link #claim}), which counts its attempts, and
 * records its end only once ({@link #finishOnce}): the job id, not the Kafka offset, decides
 * whether a redelivered record still has work to do.
 */
public final class PostgresJobStore implements JobStore {
    private static final String FINAL = "('done', 'failed', 'cancelled')";
    private static final String PIPELINE = "pipeline";
    private static final String FIRST_STAGE = "caption";
    /** Connections of jobs' rows: front ends answer many polls, and a database round trip is far below a model's time. */
    private static final int CONNECTIONS = 8;
    /** The rate limiter's own few: a burst of submissions waits on these and cannot take the connections of claims and polls. */
    private static final int LIMITER_CONNECTIONS = 2;
    private final ConnectionPool pool;
    private final ConnectionPool limiterPool;
    private volatile boolean closed;

    private PostgresJobStore(String url, String user, String password) {
        pool = new ConnectionPool(url, user, password, CONNECTIONS, Duration.ofSeconds(10));
        limiterPool = new ConnectionPool(url, user, password, LIMITER_CONNECTIONS, Duration.ofSeconds(2));
    }

    /** Opens the store after migrating the schema to the newest version (concurrent starts are serialized by Flyway's lock). */
    public static PostgresJobStore open(ClusterConfig c) {
        return open(c.jdbcUrl(), c.dbUser(), c.dbPassword());
    }

    public static PostgresJobStore open(String url, String user, String password) {
        Flyway.configure().dataSource(url, user, password).locations("classpath:mmgp/cluster/db").load().migrate();
        return new PostgresJobStore(url, user, password);
    }

    // ---- JobStore ----

    @Override
    public void insert(JobRecord r) {
        // a pipeline starts at its first stage
        update("INSERT INTO jobs(id, task, status, created_at, updated_at, request_json, result_json, error, key_id, result_files, stage) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                r.id(), r.task(), r.status().label(), ts(r.created()), ts(r.updated()), r.requestJson(), r.resultJson(), r.error(), r.keyId(),
                String.join(",", r.resultFiles()), PIPELINE.equals(r.task()) ? FIRST_STAGE : null);
    }

    @Override
    public void updateStatus(String id, JobStatus status, Instant now) {
        update("UPDATE jobs SET status = ?, updated_at = ? WHERE id = ?", status.label(), ts(now), id);
    }

    @Override
    public void finish(String id, JobStatus status, String resultJson, String error, List<String> files, Instant now) {
        finishOnce(id, status, resultJson, error, files, null, now);
    }

    @Override
    public Optional<JobRecord> find(String id) {
        return query("SELECT * FROM jobs WHERE id = ?", id).stream().findFirst();
    }

    @Override
    public List<JobRecord> unfinished() {
        return query("SELECT * FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at");
    }

    @Override
    public List<JobRecord> finishedBefore(Instant cutoff) {
        return query("SELECT * FROM jobs WHERE status IN " + FINAL + " AND updated_at < ?", ts(cutoff));
    }

    @Override
    public void delete(String id) {
        update("DELETE FROM jobs WHERE id = ?", id);
    }

    @Override
    public List<JobRecord> list(JobQuery q) {
        return query(q.sql(), q.args(PostgresJobStore::ts).toArray());
    }

    @Override
    public boolean isOpen() {
        if (closed) return false;
        try {
            return withConnection(c -> c.isValid(2));
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        closed = true;
        pool.close();
        limiterPool.close();
    }

    // ---- what the cluster adds ----

    /** What a worker may do with a record it received. */
    public enum Claim {
        /** Run it: it is now marked running by this worker. */
        RUN,
        /** Nothing to do: finished already (a redelivery), or unknown. */
        SKIP,
        /** Cancelled while queued (or while its dead worker had it): recorded as cancelled just now. */
        CANCELLED,
        /** Its runs killed their workers {@code max.attempts} times: the caller fails it ({@link #gaveUp}), the end being its to write. */
        GAVE_UP
    }

    /** {@link #claim(String, String, String, int, Instant)} of a single-task job's record. */
    public Claim claim(String id, String worker, int maxAttempts, Instant now) {
        return claim(id, null, worker, maxAttempts, now);
    }

    /** {@link #claim(String, String, String, String, int, Instant)} from a record not named (any claim of a running job passes). */
    public Claim claim(String id, String stage, String worker, int maxAttempts, Instant now) {
        return claim(id, stage, null, worker, maxAttempts, now);
    }

    /**
     * Marks a queued (or orphaned running) job as running on {@code worker}, counting the attempt.
     * One statement, so two workers that both received the record (a rebalance) cannot both
     * take a finished job; the attempt that passes {@code maxAttempts} is {@link Claim#GAVE_UP}
     * (the row stays running on {@code worker}, whose caller records the failure; should it die
     * first, the next delivery gives up again).
     * {@code stage} is the pipeline stage the record stands for (null for a single-task job): a
     * record of a stage the job has left behind is skipped. {@code record} names the work record
     * (topic-partition@offset): a running job is taken again only from the record it runs from,
     * delivered again (its worker died); another record of the same stage is a duplicate, skipped.
     */
    public Claim claim(String id, String stage, String record, String worker, int maxAttempts, Instant now) {
        List<Object[]> rows = rows("UPDATE jobs SET status = 'running', attempts = attempts + 1, worker = ?, updated_at = ?, claimed_record = CAST(? AS VARCHAR) "
                + "WHERE id = ? AND status IN ('queued', 'running') AND NOT cancel_requested AND stage IS NOT DISTINCT FROM CAST(? AS VARCHAR) "
                + "AND (status = 'queued' OR claimed_record IS NULL OR CAST(? AS VARCHAR) IS NULL OR claimed_record = CAST(? AS VARCHAR)) RETURNING attempts",
                worker, ts(now), record, id, stage, record, record);
        if (rows.isEmpty()) {
            // a cancel that came while it was queued: recorded as such here, where no worker will run it
            int cancelled = update("UPDATE jobs SET status = 'cancelled', error = 'cancelled', updated_at = ? "
                            + "WHERE id = ? AND cancel_requested AND status IN ('queued', 'running') AND stage IS NOT DISTINCT FROM CAST(? AS VARCHAR) "
                            + "AND (status = 'queued' OR claimed_record IS NULL OR CAST(? AS VARCHAR) IS NULL OR claimed_record = CAST(? AS VARCHAR))",
                    ts(now), id, stage, record, record);
            return cancelled == 1 ? Claim.CANCELLED : Claim.SKIP;
        }
        int attempts = ((Number) rows.getFirst()[0]).intValue();
        return attempts <= maxAttempts ? Claim.RUN : Claim.GAVE_UP;
    }

    /** Why a job {@link Claim#GAVE_UP}: its reason ("failed_stage"'s error for a pipeline's stage). */
    public static String gaveUp(int maxAttempts) {
        return "gave up after " + maxAttempts + " attempts: each ended with its worker dying";
    }

    /**
     * Moves a pipeline job from stage {@code from} to {@code to} with the results so far, unless it
     * left {@code from} already (a redelivered stage that ran twice: only one run advances it),
     * ended, or was asked to stop. The next stage's record is then still to be sent
     * ({@link #stageSent}). True when this call advanced it.
     */
    public boolean advance(String id, String from, String to, String resultJson, List<String> files, Instant now) {
        return update("UPDATE jobs SET stage = ?, stage_sent = FALSE, attempts = 0, worker = NULL, claimed_record = NULL, result_json = ?, result_files = ?, updated_at = ? "
                        + "WHERE id = ? AND stage = ? AND status = 'running' AND NOT cancel_requested",
                to, resultJson, String.join(",", files), ts(now), id, from) == 1;
    }

    /** Records that the record of the job's stage {@code stage} is on its topic. */
    public void stageSent(String id, String stage) {
        update("UPDATE jobs SET stage_sent = TRUE WHERE id = ? AND stage = ?", id, stage);
    }

    /**
     * The stage of an unfinished pipeline job whose record is not known to be on its topic (the
     * worker that advanced it died or failed before sending it), if it was advanced before
     * {@code cutoff}; empty otherwise. The row's time is set to {@code now} as it is taken, so of
     * the processes that look at once (a redelivery and the sweeps of several workers) one sends
     * it, and the others wait for {@code cutoff} to pass again.
     */
    public Optional<String> takeUnsentStage(String id, Instant cutoff, Instant now) {
        List<Object[]> rows = rows("UPDATE jobs SET updated_at = ? WHERE id = ? AND stage IS NOT NULL AND NOT stage_sent "
                + "AND status IN ('queued', 'running') AND updated_at <= ? RETURNING stage", ts(now), id, ts(cutoff));
        return rows.isEmpty() ? Optional.empty() : Optional.of((String) rows.getFirst()[0]);
    }

    /** {@link #takeUnsentStage} of any age (a redelivered record of the stage before). */
    public Optional<String> unsentStage(String id) {
        Instant now = Instant.now();
        return takeUnsentStage(id, now, now);
    }

    /** Ids of unfinished pipeline jobs whose next stage's record is not known to be sent and that were advanced before {@code cutoff}. */
    public List<String> unsentBefore(Instant cutoff, int limit) {
        return rows("SELECT id FROM jobs WHERE stage IS NOT NULL AND NOT stage_sent AND status IN ('queued', 'running') AND updated_at <= ? "
                + "ORDER BY updated_at LIMIT ?", ts(cutoff), limit).stream().map(r -> (String) r[0]).toList();
    }

    /** The job's current pipeline stage while it is unfinished; empty for a single-task job or once it ended. */
    public Optional<String> stageOf(String id) {
        List<Object[]> rows = rows("SELECT stage FROM jobs WHERE id = ? AND stage IS NOT NULL AND status IN ('queued', 'running')", id);
        return rows.isEmpty() ? Optional.empty() : Optional.of((String) rows.getFirst()[0]);
    }

    /** The A/B variant recorded with the job's end (null: one model, a pipeline, or not ended). */
    public Optional<String> variantOf(String id) {
        List<Object[]> rows = rows("SELECT variant FROM jobs WHERE id = ?", id);
        return rows.isEmpty() ? Optional.empty() : Optional.ofNullable((String) rows.getFirst()[0]);
    }

    /**
     * Gives a job back (its partition moved to another worker before it finished); the attempt does
     * not count. Only the run of {@code stage} (null: a single-task job) is given back: the record of
     * a pipeline stage that just advanced the job must not release the next stage, which this same
     * worker may be running already. True when it was given back.
     */
    public boolean release(String id, String stage, String worker, Instant now) {
        return update("UPDATE jobs SET status = 'queued', attempts = attempts - 1, worker = NULL, updated_at = ? "
                        + "WHERE id = ? AND worker = ? AND status = 'running' AND stage IS NOT DISTINCT FROM CAST(? AS VARCHAR)",
                ts(now), id, worker, stage) == 1;
    }

    /**
     * Records the end of a job unless it already has one; true when this call recorded it. One
     * conditional statement: of two writers racing (a redelivered record run on a second worker, a
     * cancel recorded at claim time), PostgreSQL lets exactly one through, the other sees the
     * row already final and changes nothing.
     *
     * A null {@code resultJson} or no {@code files} keep what the row holds: a pipeline's
     * earlier stages' results stay downloadable when a later stage fails.
     *
     * @param variant the A/B variant that ran it; null with one model
     */
    public boolean finishOnce(String id, JobStatus status, String resultJson, String error, List<String> files, String variant, Instant now) {
        return finish(id, false, null, status, resultJson, error, files, variant, now);
    }

    /**
     * {@link #finishOnce} of the run of one pipeline stage: recorded only while the job is still at
     * {@code stage}, so a duplicate run of a stage the job has left (a redelivered record racing the
     * run that advanced it) cannot end the job while its next stage is queued or running.
     */
    public boolean finishStage(String id, String stage, JobStatus status, String resultJson, String error, List<String> files, Instant now) {
        return finish(id, true, stage, status, resultJson, error, files, null, now);
    }

    private boolean finish(String id, boolean atStage, String stage, JobStatus status, String resultJson, String error, List<String> files, String variant,
                           Instant now) {
        if (!status.terminal()) throw new IllegalArgumentException("finish needs a final status, got " + status);
        String names = String.join(",", files);
        String sql = "UPDATE jobs SET status = ?, updated_at = ?, result_json = COALESCE(?, result_json), error = ?, "
                + "result_files = CASE WHEN ? = '' THEN result_files ELSE ? END, variant = ? WHERE id = ? AND status NOT IN " + FINAL;
        if (!atStage) return update(sql, status.label(), ts(now), resultJson, truncate(error), names, names, variant, id) == 1;
        return update(sql + " AND stage IS NOT DISTINCT FROM CAST(? AS VARCHAR)", status.label(), ts(now), resultJson, truncate(error), names, names, variant, id,
                stage) == 1;
    }

    /**
     * Asks for a job to stop: a queued one is cancelled at once (true, "cancelled"), a running one
     * is flagged for its worker ("running"); empty when it had already finished or is unknown.
     */
    public Optional<JobStatus> requestCancel(String id, Instant now) {
        List<Object[]> rows = rows("UPDATE jobs SET cancel_requested = TRUE, updated_at = ?, "
                + "status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END, "
                + "error = CASE WHEN status = 'queued' THEN 'cancelled' ELSE error END "
                + "WHERE id = ? AND status IN ('queued', 'running') RETURNING status", ts(now), id);
        return rows.isEmpty() ? Optional.empty() : Optional.of(JobStatus.of((String) rows.getFirst()[0]));
    }

    public boolean cancelRequested(String id) {
        List<Object[]> rows = rows("SELECT cancel_requested FROM jobs WHERE id = ?", id);
        return !rows.isEmpty() && Boolean.TRUE.equals(rows.getFirst()[0]);
    }

    /**
     * Takes {@code n} tokens from {@code key}'s rate-limit bucket ({@link RateLimiter#refill}, the
     * single node's rule, here in SQL), created full: 0 when taken, else the seconds to wait. One
     * UPDATE, whose subquery locks the row while it reads the level, so front ends taking from one
     * key at once never both spend its last token and no transaction stays open across round trips;
     * the database's clock times the refill, so the front ends' clocks need not agree. It runs on
     * the limiter's own connections ({@link #LIMITER_CONNECTIONS}).
     */
    public long takeTokens(String key, int perMinute, int n) {
        return limiterPool.with(c -> {
            Double level = takeFrom(c, key, perMinute, n);
            if (level == null) {
                try (PreparedStatement p = prepare(c, "INSERT INTO rate_buckets(key_id, tokens, refilled_at) VALUES (?, ?, clock_timestamp()) ON CONFLICT DO NOTHING",
                        key, (double) perMinute)) {
                    p.executeUpdate();
                }
                level = takeFrom(c, key, perMinute, n);
                if (level == null) throw new SQLException("the rate-limit bucket of " + key + " vanished as it was created");
            }
            return RateLimiter.refill(level, 0, perMinute, n).waitSeconds();
        });
    }

    /** The bucket's level before this take (null: no bucket yet); the take itself is stored. */
    private static Double takeFrom(Connection c, String key, int perMinute, int n) throws SQLException {
        String level = "LEAST(CAST(? AS DOUBLE PRECISION), tokens + GREATEST(0, EXTRACT(EPOCH FROM clock_timestamp() - refilled_at)) * ? / 60.0)";
        try (PreparedStatement p = prepare(c, "UPDATE rate_buckets b SET tokens = CASE WHEN o.level >= ? THEN o.level - ? ELSE o.level END, refilled_at = o.at "
                        + "FROM (SELECT key_id, " + level + " AS level, clock_timestamp() AS at FROM rate_buckets WHERE key_id = ? FOR UPDATE) o "
                        + "WHERE b.key_id = o.key_id RETURNING o.level",
                (double) n, (double) n, (double) perMinute, (double) perMinute, key);
             ResultSet rs = p.executeQuery()) {
            return rs.next() ? rs.getDouble(1) : null;
        }
    }

    /** How many jobs are in each state (every state listed, zeros included). */
    public Map<JobStatus, Long> countByStatus() {
        Map<JobStatus, Long> counts = new LinkedHashMap<>();
        for (JobStatus s : JobStatus.values()) counts.put(s, 0L);
        for (Object[] r : rows("SELECT status, count(*) FROM jobs GROUP BY status")) counts.put(JobStatus.of((String) r[0]), ((Number) r[1]).longValue());
        return counts;
    }

    /** Jobs {@code worker} is running now, by id. */
    public List<String> runningOn(String worker) {
        return rows("SELECT id FROM jobs WHERE status = 'running' AND worker = ?", worker).stream().map(r -> (String) r[0]).toList();
    }

    /** The worker that last took each of {@code ids} (the demo's report). */
    public Map<String, String> workerOf(List<String> ids) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String id : ids) {
            List<Object[]> r = rows("SELECT worker FROM jobs WHERE id = ?", id);
            out.put(id, r.isEmpty() ? null : (String) r.getFirst()[0]);
        }
        return out;
    }

    /** The attempts each job has taken (the demo's report). */
    public Map<String, Integer> attempts() {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Object[] r : rows("SELECT id, attempts FROM jobs")) out.put((String) r[0], ((Number) r[1]).intValue());
        return out;
    }

    // ---- JDBC ----

    private <T> T withConnection(ConnectionPool.Work<T> work) {
        if (closed) throw new IllegalStateException("the job store is closed");
        return pool.with(work);
    }

    private int update(String sql, Object... args) {
        return withConnection(c -> {
            try (PreparedStatement p = prepare(c, sql, args)) {
                return p.executeUpdate();
            }
        });
    }

    private List<Object[]> rows(String sql, Object... args) {
        return withConnection(c -> {
            try (PreparedStatement p = prepare(c, sql, args); ResultSet rs = p.executeQuery()) {
                List<Object[]> out = new ArrayList<>();
                int n = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    Object[] row = new Object[n];
                    for (int i = 0; i < n; i++) row[i] = rs.getObject(i + 1);
                    out.add(row);
                }
                return out;
            }
        });
    }

    private List<JobRecord> query(String sql, Object... args) {
        return withConnection(c -> {
            try (PreparedStatement p = prepare(c, sql, args); ResultSet rs = p.executeQuery()) {
                List<JobRecord> out = new ArrayList<>();
                while (rs.next()) out.add(row(rs));
                return out;
            }
        });
    }

    private static PreparedStatement prepare(Connection c, String sql, Object... args) throws SQLException {
        PreparedStatement p = c.prepareStatement(sql);
        for (int i = 0; i < args.length; i++) p.setObject(i + 1, args[i]);
        return p;
    }

    private static JobRecord row(ResultSet rs) throws SQLException {
        String files = rs.getString("result_files");
        return new JobRecord(rs.getString("id"), rs.getString("task"), JobStatus.of(rs.getString("status")),
                rs.getObject("created_at", OffsetDateTime.class).toInstant(), rs.getObject("updated_at", OffsetDateTime.class).toInstant(),
                rs.getString("request_json"), rs.getString("result_json"), rs.getString("error"), rs.getString("key_id"),
                files == null || files.isEmpty() ? List.of() : Arrays.asList(files.split(",")));
    }

    private static OffsetDateTime ts(Instant i) {
        return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
    }

    private static String truncate(String s) {
        return s == null || s.length() <= 4000 ? s : s.substring(0, 3997) + "...";
    }
}
