package mmgp.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import mmgp.api.ImageRequest;
import mmgp.api.InvalidRequestException;
import mmgp.api.Media;
import mmgp.api.PipelineOptions;
import mmgp.api.PipelineResult;
import mmgp.api.ProgressListener;
import mmgp.api.Task;
import mmgp.api.UnderstandRequest;
import mmgp.api.VideoRequest;
import mmgp.engine.Engine;
import mmgp.engine.Job;
import org.slf4j.LoggerFactory;

/**
 * A job's request as the job table stores it: written in one form by the single-node and the
 * cluster job services, and started again on an engine by a cluster worker (which runs what a
 * front end accepted and checked against its limits, so none apply here). A pipeline job runs
 * stage by stage ({@link #STAGES}), each stage's result written to the job's folder and merged
 * into the summary the next stage starts from, in the form the single node's pipeline records.
 */
public final class StoredRequests {
    /** The pipeline's stages in order; each runs on a worker of its task. */
    public static final List<String> STAGES = List.of("caption", "image", "video");
    private static final int NO_LIMIT = Integer.MAX_VALUE;
    private final ObjectMapper json;
    private final RequestParser parser;
    private final ResultFiles files;

    public StoredRequests(ObjectMapper json, ResultFiles files) {
        this.json = json;
        this.parser = new RequestParser(json, new RequestLimits(NO_LIMIT, NO_LIMIT, NO_LIMIT, NO_LIMIT, NO_LIMIT));
        this.files = files;
    }

    // ---- the stored forms ----

    /** A video request's stored form: its fields, and the start image's name in the job's folder. */
    static ObjectNode video(RequestParser parser, VideoRequest r) {
        ObjectNode stored = parser.toJson(r);
        if (r.startImageFile() != null) stored.put("upload", r.startImageFile().getFileName().toString());
        return stored;
    }

    /** An understanding request's stored form: its fields, and the upload's name in the job's folder (none: a text-only question). */
    static ObjectNode understand(RequestParser parser, UnderstandRequest r, String upload) {
        ObjectNode stored = parser.toJson(r);
        if (upload != null) stored.put("upload", upload);
        return stored;
    }

    /** A pipeline's stored form: the video's name in the job's folder and the options. */
    static ObjectNode pipeline(ObjectMapper json, RequestParser parser, Path video, PipelineOptions o) {
        ObjectNode stored = json.createObjectNode().put("upload", video.getFileName().toString());
        stored.set("options", parser.toJson(o));
        return stored;
    }

    // ---- single-task jobs ----

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
    public record Written(String summaryJson, List<String> files) {}

    public Written write(String id, Object result) throws IOException {
        ObjectNode summary = files.summarize(result);
        return new Written(summary.toString(), files.write(id, result, summary));
    }

    // ---- pipeline stages ----

    /** The task whose workers run {@code stage}. */
    public static Task stageTask(String stage) {
        return switch (stage) {
            case "caption" -> Task.UNDERSTAND;
            case "image" -> Task.IMAGE;
            case "video" -> Task.VIDEO;
            default -> throw new IllegalArgumentException("no pipeline stage " + stage);
        };
    }

    /** The stage after {@code stage}; null after the last. */
    public static String nextStage(String stage) {
        int i = STAGES.indexOf(stage);
        if (i < 0) throw new IllegalArgumentException("no pipeline stage " + stage);
        return i + 1 < STAGES.size() ? STAGES.get(i + 1) : null;
    }

    /**
     * Submits stage {@code stage} of the pipeline job {@code r} to {@code engine}, as the single
     * node's pipeline does: the caption of the uploaded video; an image of the caption; a video of
     * the caption starting from the image stage's picture (unless the options say otherwise, or
     * the video model cannot start from an image: then from noise).
     *
     * @param fromNoise the video stage films from noise whatever the options say: its model refused
     *                  the start image as the job ran ({@link #refusedStartImage})
     */
    public Job<?> startStage(Engine engine, JobRecord r, String stage, boolean fromNoise, ProgressListener listener) throws IOException {
        JsonNode req = json.readTree(r.requestJson());
        PipelineOptions o = parser.pipeline(req.get("options"));
        Path dir = files.jobDir(r.id());
        return switch (stage) {
            case "caption" -> engine.understand(new UnderstandRequest(Media.video(dir.resolve(req.get("upload").asText())), o.captionPrompt(), o.caption()), listener);
            case "image" -> engine.generateImage(new ImageRequest(prompt(r), o.image()), listener);
            case "video" -> {
                VideoRequest noise = new VideoRequest(prompt(r), o.video());
                if (!o.videoFromImage() || fromNoise) yield engine.generateVideo(noise, listener);
                try {
                    yield engine.generateVideo(noise.withStartImage(dir.resolve(ResultFiles.IMAGE)), listener);
                } catch (InvalidRequestException refused) {
                    if (!"image".equals(refused.field())) throw refused;
                    LoggerFactory.getLogger(StoredRequests.class).warn("{}: the video model cannot start from the image ({}); filming the caption from noise",
                            r.id(), scrub(refused.getMessage()));
                    yield engine.generateVideo(noise, listener);
                }
            }
            default -> throw new IllegalArgumentException("no pipeline stage " + stage);
        };
    }

    /**
     * Whether {@code error}, the end of stage {@code stage} of {@code r}, is the video model
     * refusing the start image, as a refusal that comes through the job's result rather than at
     * submission (a lane that checks the image as it runs): the stage is then to be run again
     * from noise, as the single node's pipeline does. A video filmed from noise already is not.
     */
    public boolean refusedStartImage(JobRecord r, String stage, Throwable error) {
        try {
            if (!"video".equals(stage) || !parser.pipeline(json.readTree(r.requestJson()).get("options")).videoFromImage()) return false;
        } catch (IOException e) {
            return false; // a request that no longer parses: its stage's own error stands
        }
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof InvalidRequestException refused) return "image".equals(refused.field());
        }
        return false;
    }

    /** {@code text} without the server's paths, as the single node words the errors clients see. */
    public String scrub(String text) {
        return files.scrubPaths(text);
    }

    /** The caption the earlier stage stored: the prompt of the image and video stages. */
    private String prompt(JobRecord r) throws IOException {
        String caption = r.resultJson() == null ? "" : json.readTree(r.resultJson()).path("caption").path("text").asText("").strip();
        if (caption.isEmpty()) throw new IllegalStateException("the caption is empty, so there is no prompt to draw or film");
        return caption;
    }

    /**
     * Writes a stage's result to the job's folder and merges it into the summary so far (the
     * job's stored result): its measurements under its name, with the A/B variant that ran it,
     * and its timings under the stage's name, as the single node's pipeline records them.
     * The files are those of the earlier stages and this one.
     */
    public Written writeStage(JobRecord r, String stage, Object result, double seconds, String variant) throws IOException {
        ObjectNode summary = soFar(r);
        ObjectNode part = files.summarize(result);
        if (variant != null) part.put("variant", variant);
        ObjectNode timings = timings(summary);
        part.path("timings").properties().forEach(e -> timings.set(stage + "." + e.getKey(), e.getValue()));
        timings.put(stage, seconds);
        summary.set(stage, part);
        summary.set("timings", summary.remove("timings")); // last, as the single node writes it
        return new Written(summary.toString(), union(r.resultFiles(), files.write(r.id(), result, summary)));
    }

    /** The summary of a pipeline that stopped at {@code failedStage}, written next to the earlier stages' files. */
    public Written writeStageFailure(JobRecord r, String failedStage, String error) throws IOException {
        ObjectNode summary = soFar(r);
        timings(summary);
        summary.put("failed_stage", failedStage).put("error", error);
        summary.set("timings", summary.remove("timings"));
        return new Written(summary.toString(), union(r.resultFiles(), files.write(r.id(), new PipelineResult(null, null, null, null, failedStage, error), summary)));
    }

    private ObjectNode soFar(JobRecord r) throws IOException {
        return r.resultJson() == null ? json.createObjectNode() : (ObjectNode) json.readTree(r.resultJson());
    }

    private ObjectNode timings(ObjectNode summary) {
        return summary.get("timings") instanceof ObjectNode t ? t : summary.putObject("timings");
    }

    /** Both lists' names, result.json last, as the single node lists a pipeline's files. */
    private static List<String> union(List<String> a, List<String> b) {
        LinkedHashSet<String> all = new LinkedHashSet<>(a);
        all.addAll(b);
        List<String> out = new ArrayList<>(all);
        if (out.remove(ResultFiles.RESULT)) out.add(ResultFiles.RESULT);
        return out;
    }
}
