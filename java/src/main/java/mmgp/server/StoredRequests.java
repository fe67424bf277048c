package mmgp.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import mmgp.api.ProgressListener;
import mmgp.engine.Engine;
import mmgp.engine.Job;

/**
 * A job's request as the job table stores it, started again on an engine: what a cluster worker
 * does with a job a front end accepted (and checked against its limits, so none apply here).
 */
public final class StoredRequests {
    private static final int NO_LIMIT = Integer.MAX_VALUE;
    private final ObjectMapper json;
    private final RequestParser parser;
    private final ResultFiles files;

    public StoredRequests(ObjectMapper json, ResultFiles files) {
        this.json = json;
        this.parser = new RequestParser(json, new RequestLimits(NO_LIMIT, NO_LIMIT, NO_LIMIT, NO_LIMIT, NO_LIMIT));
        this.files = files;
    }

    /** Submits the stored request of {@code r} to {@code engine}; refusals as for the engine's own calls. */
    public Job<?> start(Engine engine, JobRecord r, ProgressListener listener) throws IOException {
        ObjectNode req = (ObjectNode) json.readTree(r.requestJson());
        return switch (r.task()) {
            case "image" -> engine.generateImage(parser.image(req), listener);
            case "video" -> {
                Path start = req.has("upload") ? files.jobDir(r.id()).resolve(req.remove("upload").asText()) : null;
                yield engine.generateVideo(parser.video(req, start, false), listener);
            }
            case "understand" -> {
                Path upload = req.has("upload") ? files.jobDir(r.id()).resolve(req.remove("upload").asText()) : null; // none: a text-only question
                yield engine.understand(parser.understand(req, upload, false), listener);
            }
            default -> throw new IllegalArgumentException("a cluster worker does not run " + r.task() + " requests");
        };
    }

    /** A stored job as GET /api/requests/{id} shows it (what the events topic's "finished" carries). */
    public String describe(JobRecord r) {
        return JobService.describe(r, json).toString();
    }

    /** The measurements and files of a finished job, written to its folder; the names of the files. */
    public record Written(String summaryJson, java.util.List<String> files) {}

    public Written write(String id, Object result) throws IOException {
        ObjectNode summary = files.summarize(result);
        return new Written(summary.toString(), files.write(id, result, summary));
    }
}
