package mmgp.server;

import java.time.Instant;
import java.util.List;

/**
 * One row of the job table.
 *
 * @param task        "understand", "image", "video" or "pipeline"
 * @param requestJson the request as accepted (normalized, with the upload's file name), enough to re-run it
 * @param resultJson  the result's measurements (no pixels), null until it finished
 * @param resultFiles names of the downloadable files under data-dir/jobs/&lt;id&gt;/
 */
public record JobRecord(String id, String task, JobStatus status, Instant created, Instant updated, String requestJson,
                        String resultJson, String error, String keyId, List<String> resultFiles) {
    public JobRecord {
        resultFiles = List.copyOf(resultFiles);
    }
}
