package mmgp.server;

import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where jobs are recorded: {@link H2JobStore} (an embedded file, one server) or, in cluster mode,
 * {@code mmgp.cluster.PostgresJobStore} (one database every front end and worker shares).
 */
public interface JobStore extends AutoCloseable {
    void insert(JobRecord r);

    void updateStatus(String id, JobStatus status, Instant now);

    /** Records the end of a job: its final status, result measurements, error and files. */
    void finish(String id, JobStatus status, String resultJson, String error, List<String> files, Instant now);

    Optional<JobRecord> find(String id);

    /** Jobs queued or running when the last server stopped. */
    List<JobRecord> unfinished();

    /** Finished jobs last touched before {@code cutoff}: the retention sweep's victims. */
    List<JobRecord> finishedBefore(Instant cutoff);

    void delete(String id);

    /** The jobs {@code q} selects, newest first (GET /api/requests). */
    List<JobRecord> list(JobQuery q);

    boolean isOpen();

    @Override
    void close();

    /** A database failure; the server answers 500 and logs it. */
    final class JobStoreException extends RuntimeException {
        public JobStoreException(SQLException cause) {
            super("job database: " + cause.getMessage(), cause);
        }
    }
}
