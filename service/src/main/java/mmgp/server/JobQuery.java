package mmgp.server;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Which stored jobs GET /api/requests lists: one key's (or, with {@code keyId} null, everyone's),
 * optionally of one task and status, newest first, starting after a cursor. Both job stores run
 * the same SQL, {@link #sql()}, which an index on (key_id, created_at, id) answers.
 *
 * @param keyId        the owner's key id; null for all jobs (a server without keys)
 * @param task         "understand", "image", "video" or "pipeline"; null for any
 * @param status       null for any
 * @param afterCreated with {@code afterId}, the last job of the previous page (null: the newest first)
 * @param limit        at most this many rows
 */
public record JobQuery(String keyId, String task, JobStatus status, Instant afterCreated, String afterId, int limit) {
    public JobQuery {
        if (limit < 1) throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        if ((afterCreated == null) != (afterId == null)) throw new IllegalArgumentException("a cursor needs both the time and the id");
    }

    /** SELECT … ORDER BY created_at DESC, id DESC LIMIT ?, with {@link #args()} as its parameters. */
    public String sql() {
        StringBuilder where = new StringBuilder();
        if (keyId != null) where.append(" AND key_id = ?");
        if (task != null) where.append(" AND task = ?");
        if (status != null) where.append(" AND status = ?");
        // id breaks ties of jobs created in the same microsecond, so no page repeats or skips one
        if (afterCreated != null) where.append(" AND (created_at < ? OR (created_at = ? AND id < ?))");
        return "SELECT * FROM jobs WHERE TRUE" + where + " ORDER BY created_at DESC, id DESC LIMIT ?";
    }

    /** The parameters of {@link #sql()}, timestamps as {@code toTimestamp} makes them. */
    public List<Object> args(java.util.function.Function<Instant, Object> toTimestamp) {
        List<Object> a = new ArrayList<>();
        if (keyId != null) a.add(keyId);
        if (task != null) a.add(task);
        if (status != null) a.add(status.label());
        if (afterCreated != null) {
            a.add(toTimestamp.apply(afterCreated));
            a.add(toTimestamp.apply(afterCreated));
            a.add(afterId);
        }
        a.add(limit);
        return a;
    }
}
