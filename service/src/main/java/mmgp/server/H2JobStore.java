package mmgp.server;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The job table in an embedded H2 file database (data-dir/jobs.mv.db), so answers survive a
 * restart, also an abrupt one (each commit is written at once). One connection, calls serialized:
 * the table is small and H2 answers in microseconds, far below what the models take per request. A second server on the same data
 * directory fails to open it (H2's file lock) instead of corrupting it.
 */
public final class H2JobStore implements JobStore {
    private final Connection db;

    public H2JobStore(Path dataDir) throws SQLException {
        // WRITE_DELAY=0: every commit reaches the file before the call returns (H2 would otherwise
        // batch commits for up to a second), so a job answered with 202 survives a killed process.
        String url = "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("jobs") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
        db = DriverManager.getConnection(url, "mmgp", "");
        try (Statement s = db.createStatement()) {
            s.execute("""
                    CREATE TABLE IF NOT EXISTS jobs (
                      id VARCHAR(36) PRIMARY KEY,
                      task VARCHAR(16) NOT NULL,
                      status VARCHAR(16) NOT NULL,
                      created_at TIMESTAMP WITH TIME ZONE NOT NULL,
                      updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
                      request_json CHARACTER LARGE OBJECT NOT NULL,
                      result_json CHARACTER LARGE OBJECT,
                      error VARCHAR(4000),
                      key_id VARCHAR(32),
                      result_files VARCHAR(1000) NOT NULL DEFAULT '')""");
            s.execute("CREATE INDEX IF NOT EXISTS jobs_updated ON jobs(updated_at)");
            s.execute("CREATE INDEX IF NOT EXISTS jobs_key_created ON jobs(key_id, created_at DESC, id DESC)"); // a key's history, newest first
        }
    }

    @Override
    public synchronized void insert(JobRecord r) {
        sql("INSERT INTO jobs(id, task, status, created_at, updated_at, request_json, result_json, error, key_id, result_files) VALUES (?,?,?,?,?,?,?,?,?,?)",
                r.id(), r.task(), r.status().label(), ts(r.created()), ts(r.updated()), r.requestJson(), r.resultJson(), r.error(), r.keyId(),
                String.join(",", r.resultFiles()));
    }

    @Override
    public synchronized void updateStatus(String id, JobStatus status, Instant now) {
        sql("UPDATE jobs SET status = ?, updated_at = ? WHERE id = ?", status.label(), ts(now), id);
    }

    /** Records the end of a job: its final status, result measurements, error and files. */
    @Override
    public synchronized void finish(String id, JobStatus status, String resultJson, String error, List<String> files, Instant now) {
        if (!status.terminal()) throw new IllegalArgumentException("finish needs a final status, got " + status);
        sql("UPDATE jobs SET status = ?, updated_at = ?, result_json = ?, error = ?, result_files = ? WHERE id = ?",
                status.label(), ts(now), resultJson, truncate(error), String.join(",", files), id);
    }

    @Override
    public synchronized Optional<JobRecord> find(String id) {
        List<JobRecord> rows = query("SELECT * FROM jobs WHERE id = ?", id);
        return rows.stream().findFirst();
    }

    /** Jobs queued or running when the last server stopped. */
    @Override
    public synchronized List<JobRecord> unfinished() {
        return query("SELECT * FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at");
    }

    /** Finished jobs last touched before {@code cutoff}: the retention sweep's victims. */
    @Override
    public synchronized List<JobRecord> finishedBefore(Instant cutoff) {
        return query("SELECT * FROM jobs WHERE status IN ('done', 'failed', 'cancelled') AND updated_at < ?", ts(cutoff));
    }

    @Override
    public synchronized void delete(String id) {
        sql("DELETE FROM jobs WHERE id = ?", id);
    }

    @Override
    public synchronized List<JobRecord> list(JobQuery q) {
        return query(q.sql(), q.args(H2JobStore::ts).toArray());
    }

    @Override
    public synchronized boolean isOpen() {
        try {
            return !db.isClosed() && db.isValid(1);
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public synchronized void close() {
        try {
            if (!db.isClosed()) {
                try (Statement s = db.createStatement()) {
                    s.execute("SHUTDOWN");
                }
            }
        } catch (SQLException e) {
            throw new JobStore.JobStoreException(e);
        } finally {
            try {
                db.close();
            } catch (SQLException ignored) {
                // already closed by SHUTDOWN
            }
        }
    }

    private void sql(String sql, Object... args) {
        try (PreparedStatement p = db.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) p.setObject(i + 1, args[i]);
            p.executeUpdate();
        } catch (SQLException e) {
            throw new JobStore.JobStoreException(e);
        }
    }

    private List<JobRecord> query(String sql, Object... args) {
        try (PreparedStatement p = db.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) p.setObject(i + 1, args[i]);
            List<JobRecord> out = new ArrayList<>();
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) out.add(row(rs));
            }
            return out;
        } catch (SQLException e) {
            throw new JobStore.JobStoreException(e);
        }
    }

    private static JobRecord row(ResultSet rs) throws SQLException {
        String files = rs.getString("result_files");
        return new JobRecord(rs.getString("id"), rs.getString("task"), JobStatus.of(rs.getString("status")),
                rs.getObject("created_at", OffsetDateTime.class).toInstant(), rs.getObject("updated_at", OffsetDateTime.class).toInstant(), rs.getString("request_json"),
                rs.getString("result_json"), rs.getString("error"), rs.getString("key_id"),
                files == null || files.isEmpty() ? List.of() : Arrays.asList(files.split(",")));
    }

    private static OffsetDateTime ts(Instant i) {
        return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
    }

    private static String truncate(String s) {
        return s == null || s.length() <= 4000 ? s : s.substring(0, 3997) + "...";
    }
}
