package mmgp.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import mmgp.api.InvalidRequestException;

/**
 * What a failed job records besides its message: whether the request itself was at fault (a
 * value the model refused when it checked it with the job, e.g. before it was loaded), so that
 * GET /api/requests/{id} shows {@code error_code: invalid_request} and the field, and the /v1
 * routes answer 400 rather than 500. Used by the single node and the cluster's workers alike.
 */
public final class JobFailures {
    static final String CODE = "error_code";
    static final String FIELD = "error_field";

    private JobFailures() {}

    /** Notes in {@code summary} (the stored result of the failed job) what {@code error} says about the request; true when it was the request's fault. */
    public static boolean note(Throwable error, ObjectNode summary) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof InvalidRequestException e) {
                summary.put(CODE, "invalid_request");
                if (e.field() != null) summary.put(FIELD, e.field());
                return true;
            }
        }
        return false;
    }

    /** Copies what {@link #note} recorded into a job's description. */
    static void describe(JsonNode summary, ObjectNode into) {
        if (summary.hasNonNull(CODE)) into.put(CODE, summary.get(CODE).asText());
        if (summary.hasNonNull(FIELD)) into.put(FIELD, summary.get(FIELD).asText());
    }
}
