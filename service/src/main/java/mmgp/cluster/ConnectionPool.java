package mmgp.cluster;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import mmgp.server.JobStore.JobStoreException;

/**
 * At most {@code size} connections to PostgreSQL open at once. A caller waits up to
 * {@code wait} for one and is refused after that, so a burst of requests queues here instead of
 * opening connections until the server's {@code max_connections} is spent (and the workers'
 * claims starve). A connection is handed back only after work that ended normally; one whose work
 * threw (an SQL error, or any runtime exception) is closed, so a broken or half-used connection
 * never serves the next caller.
 */
final class ConnectionPool implements AutoCloseable {
    @FunctionalInterface
    interface Work<T> {
        T on(Connection c) throws SQLException;
    }

    private final String url;
    private final Properties props = new Properties();
    private final int size;
    private final Duration wait;
    private final Semaphore permits;
    private final BlockingQueue<Connection> idle;
    private volatile boolean closed;

    /**
     * @param size most connections open at once
     * @param wait how long a caller waits for a free connection before {@link JobStoreException}
     */
    ConnectionPool(String url, String user, String password, int size, Duration wait) {
        if (size < 1) throw new IllegalArgumentException("a pool needs at least one connection, got " + size);
        this.url = url;
        this.size = size;
        this.wait = wait;
        permits = new Semaphore(size, true);
        idle = new ArrayBlockingQueue<>(size);
        props.setProperty("user", user);
        props.setProperty("password", password == null ? "" : password);
        // an unreachable server fails a caller within seconds instead of the driver's minutes
        props.setProperty("connectTimeout", Long.toString(Math.max(1, wait.toSeconds())));
    }

    <T> T with(Work<T> work) {
        if (closed) throw new IllegalStateException("the job store is closed");
        try {
            if (!permits.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new JobStoreException(new SQLTransientConnectionException(
                        "all " + size + " connections to PostgreSQL stayed busy for " + wait.toMillis() + " ms"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobStoreException(new SQLTransientConnectionException("interrupted waiting for a connection to PostgreSQL", e));
        }
        Connection c = null;
        boolean reusable = false;
        try {
            c = idle.poll();
            if (c == null) c = DriverManager.getConnection(url, props);
            T out = work.on(c);
            reusable = c.getAutoCommit();
            return out;
        } catch (SQLException e) {
            throw new JobStoreException(e);
        } finally {
            if (c != null && !(reusable && !closed && idle.offer(c))) closeQuietly(c);
            permits.release();
        }
    }

    /** Connections open now (idle ones; tests: none leaks past a failure). */
    int idleCount() {
        return idle.size();
    }

    /** Free permits: {@code size} when no caller holds a connection. */
    int available() {
        return permits.availablePermits();
    }

    @Override
    public void close() {
        closed = true;
        for (Connection c; (c = idle.poll()) != null; ) closeQuietly(c);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // dropping it anyway
        }
    }
}
