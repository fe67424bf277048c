package mmgp.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import io.javalin.http.sse.SseHandler;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.Part;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import mmgp.api.ImageRequest;
import mmgp.api.Media;
import mmgp.api.PipelineOptions;
import mmgp.api.Task;
import mmgp.api.UnderstandRequest;
import mmgp.api.VideoRequest;

/** The /api routes: four ways to submit a job, then status, events, cancel and downloads. */
final class JobRoutes {
    /** Largest JSON request body; uploads have their own, much larger limit. */
    static final int MAX_JSON_BYTES = JsonBodies.MAX_BYTES;
    /** Largest text field of a multipart form (a prompt, the pipeline's options). */
    static final int MAX_FIELD_BYTES = 64 << 10;

    private final Jobs jobs;
    private final RequestParser parser;
    private final ResultFiles files;
    private final ObjectMapper json;
    private final long maxUploadBytes;

    private final UploadProbe probe;
    private final UploadSlots uploads;

    JobRoutes(Jobs jobs, RequestParser parser, ResultFiles files, ObjectMapper json, long maxUploadBytes) {
        this(jobs, parser, files, json, maxUploadBytes, HttpGuards.defaults());
    }

    JobRoutes(Jobs jobs, RequestParser parser, ResultFiles files, ObjectMapper json, long maxUploadBytes, HttpGuards guards) {
        this.jobs = jobs;
        this.parser = parser;
        this.files = files;
        this.json = json;
        this.maxUploadBytes = maxUploadBytes;
        this.probe = guards.uploads();
        this.uploads = new UploadSlots(guards.uploadsPerKey());
    }

    void register(Javalin app) {
        // ?wait=SECONDS answers 200 with the finished job when it ends in time (SyncWait); uploads are bounded per key
        app.post("/api/understand", SyncWait.around(jobs, uploads.guard(this::understand)));
        app.post("/api/understand/video", SyncWait.around(jobs, uploads.guard(this::understand)));
        app.post("/api/generate/image", SyncWait.around(jobs, this::image));
        app.post("/api/generate/video", SyncWait.around(jobs, uploads.guard(this::video)));
        app.post("/api/pipeline/full", SyncWait.around(jobs, uploads.guard(this::pipeline)));
        app.get("/api/requests/{id}", ctx -> ctx.json(jobs.describe(ownedId(ctx))));
        app.delete("/api/requests/{id}", this::cancel);
        app.get("/api/requests/{id}/events", this::events);
        app.get("/api/requests/{id}/result/{name}", this::download);
    }

    private void image(Context ctx) throws IOException {
        requireModel(Task.IMAGE, "image");
        ImageRequest r = parser.image(parser.body(jsonBody(ctx), "body"));
        String id = newId(ctx);
        jobs.submitImage(id, r, keyId(ctx));
        accepted(ctx, id);
    }

    /**
     * A JSON body (text to video), or multipart/form-data with the same fields as text and an
     * optional file field {@code image}: the first frame the video starts from.
     */
    private void video(Context ctx) throws IOException {
        requireModel(Task.VIDEO, "video");
        if (!isMultipart(ctx)) {
            VideoRequest r = parser.video(parser.body(jsonBody(ctx), "body"));
            String id = newId(ctx);
            jobs.submitVideo(id, r, keyId(ctx));
            accepted(ctx, id);
            return;
        }
        requireMultipart(ctx);
        UploadedFile file = optionalUpload(ctx, "image"); // first: Javalin sets the multipart config up on this call
        ObjectNode form = formFields(ctx, "image");
        String id = newId(ctx);
        Path target = file == null ? null : jobs.uploadDir(id).resolve("image." + extension(file));
        try {
            VideoRequest r = parser.video(form, target, true);
            if (file != null) save(file, target);
            jobs.submitVideo(id, r, keyId(ctx));
        } catch (RuntimeException | IOException e) {
            files.delete(id);
            throw e;
        }
        accepted(ctx, id);
    }

    /** An image or a video in {@code file}, told apart by its first bytes (the file name may say anything). */
    private void understand(Context ctx) throws IOException {
        requireModel(Task.UNDERSTAND, "understand");
        requireMultipart(ctx);
        UploadedFile file = upload(ctx, "file");
        ObjectNode form = formFields(ctx, "file");
        boolean image;
        try (InputStream head = file.content()) {
            image = ImageSignature.isImage(head);
        }
        String id = newId(ctx);
        Path target = jobs.uploadDir(id).resolve("input." + extension(file));
        try {
            UnderstandRequest r = parser.understand(form, image ? Media.image(target) : Media.video(target), true);
            save(file, target);
            probe.requireVideo(target, "file");
            jobs.submitUnderstand(id, r, target.getFileName().toString(), keyId(ctx));
        } catch (RuntimeException | IOException e) {
            files.delete(id);
            throw e;
        }
        accepted(ctx, id);
    }

    private void pipeline(Context ctx) throws IOException {
        for (Task t : Task.values()) requireModel(t, "pipeline");
        requireMultipart(ctx);
        UploadedFile file = upload(ctx, "video");
        ObjectNode form = formFields(ctx, "video");
        new Fields(form, "", true, Set.of("options"));
        PipelineOptions o = form.has("options") ? parser.pipeline(parser.body(form.get("options").asText(), "options")) : PipelineOptions.defaults();
        String id = newId(ctx);
        Path target = jobs.uploadDir(id).resolve("input." + extension(file));
        try {
            save(file, target);
            probe.requireVideo(target, "video");
            jobs.submitPipeline(id, target, o, keyId(ctx));
        } catch (RuntimeException | IOException e) {
            files.delete(id);
            throw e;
        }
        accepted(ctx, id);
    }

    private void cancel(Context ctx) {
        String id = ownedId(ctx);
        if (jobs.cancel(id)) {
            ctx.status(202).json(Map.of("request_id", id, "status", "cancelling"));
        } else {
            // The status may not be recorded yet (the job ended a moment ago): name it only when it is.
            String status = jobs.describe(id).get("status").asText();
            String ended = JobStatus.of(status).terminal() ? ": " + status : "";
            throw new ApiException(409, "already_finished", "request " + id + " already ended" + ended, null, 0);
        }
    }

    /**
     * Checks the id before the stream starts (an SSE response commits its 200 at once), and the
     * Accept header, without which Javalin's SSE handler would silently answer an empty 200.
     */
    void events(Context ctx) throws Exception {
        String id = ownedId(ctx);
        if (!"text/event-stream".equals(ctx.header("Accept"))) {
            throw new ApiException(406, "not_acceptable", "the event stream needs the header Accept: text/event-stream", null, 0);
        }
        jobs.requireStreamRoom(id);
        try {
            new SseHandler(client -> jobs.stream(id, client)).handle(ctx);
        } catch (Exception e) { // the client left before the headers were flushed: the stream, which gives the slot back, never started
            jobs.releaseStreamRoom(id);
            throw e;
        }
    }

    private void download(Context ctx) throws IOException {
        String id = ownedId(ctx);
        String name = ctx.pathParam("name");
        Path file = jobs.download(id, name).orElseThrow(() -> ApiException.notFound("request " + id + " has no result named " + name));
        ctx.contentType(ResultFiles.contentType(name));
        ctx.header("Content-Disposition", "attachment; filename=\"" + name + "\"");
        ctx.header("Content-Length", Long.toString(Files.size(file)));
        ctx.result(Files.newInputStream(file));
    }

    // ---- helpers ----

    /** The JSON body ({@link JsonBodies#read}: JSON in UTF-8, at most {@value #MAX_JSON_BYTES} bytes). */
    private static String jsonBody(Context ctx) throws IOException {
        return JsonBodies.read(ctx);
    }

    private void requireModel(Task task, String endpoint) {
        if (!jobs.hasModel(task)) {
            throw new ApiException(503, "model_not_configured", "this server has no " + task.label() + " model, which " + endpoint + " requests need", null, 0);
        }
    }

    private void requireMultipart(Context ctx) {
        String ct = ctx.contentType();
        if (ct == null || !ct.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            throw new ApiException(415, "unsupported_media_type", "send multipart/form-data (got " + ct + ")", null, 0);
        }
        long length = ctx.req().getContentLengthLong();
        if (length > maxUploadBytes + UploadLimits.FORM_OVERHEAD_BYTES) throw UploadLimits.tooLarge(maxUploadBytes);
    }

    private static boolean isMultipart(Context ctx) {
        String ct = ctx.contentType();
        return ct != null && ct.toLowerCase(Locale.ROOT).startsWith("multipart/");
    }

    /** The file in {@code field}, or null when the form has none. */
    private static UploadedFile optionalUpload(Context ctx, String field) {
        return uploadedFiles(ctx, field).isEmpty() ? null : upload(ctx, field);
    }

    private static List<UploadedFile> uploadedFiles(Context ctx, String field) {
        try {
            return ctx.uploadedFiles(field);
        } catch (Exception e) { // Javalin rethrows the container's IOException unchecked (a malformed form)
            throw UploadLimits.translate(e);
        }
    }

    private static UploadedFile upload(Context ctx, String field) {
        List<UploadedFile> all = uploadedFiles(ctx, field);
        if (all.isEmpty()) throw ApiException.badRequest(field, "the multipart field " + field + " (a file) is required");
        if (all.size() > 1) throw ApiException.badRequest(field, "send one file in " + field + ", not " + all.size());
        UploadedFile f = all.getFirst();
        if (f.size() == 0) throw ApiException.badRequest(field, "the uploaded " + field + " is empty");
        return f;
    }

    /**
     * The non-file form fields; a field sent twice is refused rather than silently picking one.
     * Read part by part rather than with ctx.formParamMap(), which reads every text part into
     * memory whole: a text field may be at most {@value #MAX_FIELD_BYTES} bytes.
     */
    private ObjectNode formFields(Context ctx, String fileField) throws IOException {
        ObjectNode n = json.createObjectNode();
        Collection<Part> parts;
        try {
            parts = ctx.req().getParts();
        } catch (ServletException | IOException | RuntimeException e) {
            throw UploadLimits.translate(e);
        }
        for (Part p : parts) {
            String name = p.getName();
            if (p.getSubmittedFileName() != null) { // a file part (what Javalin's uploadedFiles lists)
                if (!name.equals(fileField)) throw ApiException.badRequest(name, "unexpected file field " + name + "; the file goes in " + fileField);
                continue;
            }
            if (name.equals(fileField)) throw ApiException.badRequest(fileField, fileField + " must be a file, not a text field");
            if (n.has(name)) throw ApiException.badRequest(name, name + " was sent more than once");
            if (p.getSize() > MAX_FIELD_BYTES) {
                throw new ApiException(413, "payload_too_large", "the form field " + name + " is larger than " + MAX_FIELD_BYTES + " bytes", name, 0);
            }
            try (InputStream in = p.getInputStream()) {
                n.put(name, JsonBodies.utf8(in.readAllBytes(), name));
            }
        }
        return n;
    }

    private void save(UploadedFile file, Path target) throws IOException {
        try (InputStream in = file.content()) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        if (Files.size(target) > maxUploadBytes) throw UploadLimits.tooLarge(maxUploadBytes);
    }

    /** A short alphanumeric extension from the client's file name (the decoder sniffs the content anyway). */
    private static String extension(UploadedFile f) {
        String ext = f.extension() == null ? "" : f.extension().toLowerCase(Locale.ROOT).replaceFirst("^\\.", "");
        return ext.matches("[a-z0-9]{1,5}") ? ext : "bin";
    }

    private static String newId(Context ctx) {
        String id = UUID.randomUUID().toString();
        AccessLog.requestId(ctx, id);
        return id;
    }

    /** The path's request id, if the caller's key made that request (404 otherwise). */
    private String ownedId(Context ctx) {
        return jobs.requireOwner(ctx.pathParam("id"), keyId(ctx));
    }

    private static String keyId(Context ctx) {
        String k = ctx.attribute(AccessControl.KEY_ID);
        return k == null ? AccessControl.ANONYMOUS : k;
    }

    private static void accepted(Context ctx, String id) {
        ctx.status(202).header("Location", "/api/requests/" + id).json(Map.of("request_id", id));
    }
}
