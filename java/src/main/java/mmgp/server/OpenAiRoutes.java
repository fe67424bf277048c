package mmgp.server;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import mmgp.api.ImageRequest;
import mmgp.api.InvalidRequestException;
import mmgp.api.Task;
import mmgp.api.VideoOptions;
import mmgp.api.VideoRequest;

/**
 * The OpenAI-compatible routes under /v1, beside the native /api ones: models, image generation,
 * chat completions ({@link OpenAiChat}) and, as an mmgp extension in the same style, video
 * generation. They are a translation only: each request becomes ordinary jobs (listed, cancellable
 * and downloadable through /api like any other), submitted with the caller's key, counted by the
 * same rate limit and metrics, and awaited with {@link JobWaiter}, so they work on a single node
 * and on a cluster front end alike. Media come inline as data URIs; errors have OpenAI's shape
 * ({@link OpenAiErrors}).
 */
final class OpenAiRoutes {
    /** How long a /v1 request waits for its jobs: the default timeout of OpenAI's Python client. */
    static final Duration MAX_WAIT = Duration.ofSeconds(600);
    /** The model ids /v1/models lists, one per task (the file behind it is the server's choice). */
    static final Map<Task, String> MODEL_IDS = new EnumMap<>(Map.of(Task.UNDERSTAND, "mmgp-understand", Task.IMAGE, "mmgp-image", Task.VIDEO, "mmgp-video"));
    static final int MAX_IMAGES = 10;
    /** Parameters OpenAI's clients may send that change nothing here (quality tiers, styles, tracking). */
    private static final Set<String> IGNORED_IMAGE_FIELDS = Set.of("quality", "style", "user", "background", "moderation", "output_format", "output_compression");
    private static final Set<String> IMAGE_FIELDS = union(IGNORED_IMAGE_FIELDS,
            Set.of("prompt", "model", "n", "size", "response_format", "seed", "steps", "guidance_scale", "negative_prompt"));
    private static final Set<String> VIDEO_FIELDS = Set.of("prompt", "model", "size", "seconds", "frames", "fps", "seed", "steps", "guidance_scale",
            "negative_prompt", "image", "response_format", "user", "vae_memory_bytes");

    private final Jobs jobs;
    private final RequestParser parser;
    private final ResultFiles files;
    private final ObjectMapper json;
    /** Reads request bodies: data URIs are long strings, far beyond Jackson's default cap of 20 M characters. */
    private final ObjectMapper bodies;
    private final long maxUploadBytes;
    private final long maxBodyBytes;
    private final long created = Instant.now().getEpochSecond();

    OpenAiRoutes(Jobs jobs, RequestParser parser, ResultFiles files, ObjectMapper json, long maxUploadBytes) {
        this.jobs = jobs;
        this.parser = parser;
        this.files = files;
        this.json = json;
        this.maxUploadBytes = maxUploadBytes;
        // base64 is 4/3 of the bytes, plus room for the rest of the request
        this.maxBodyBytes = maxUploadBytes / 3 * 4 + 4 + JobRoutes.MAX_JSON_BYTES;
        this.bodies = json.copy();
        bodies.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxStringLength((int) Math.min(Integer.MAX_VALUE, maxBodyBytes)).build());
    }

    void register(Javalin app) {
        app.get("/v1/models", this::models);
        app.get("/v1/models/{model}", this::model);
        app.post("/v1/images/generations", this::images);
        app.post("/v1/videos/generations", this::videos);
        app.post("/v1/chat/completions", new OpenAiChat(this, jobs, parser, json)::complete);
    }

    // ---- models ----

    private void models(Context ctx) {
        ArrayNode data = json.createArrayNode();
        for (Task t : Task.values()) if (jobs.hasModel(t)) data.add(modelJson(t));
        ctx.json(json.createObjectNode().put("object", "list").set("data", data));
    }

    private void model(Context ctx) {
        String id = ctx.pathParam("model");
        for (Task t : Task.values()) {
            if (MODEL_IDS.get(t).equals(id) && jobs.hasModel(t)) {
                ctx.json(modelJson(t));
                return;
            }
        }
        throw modelNotFound(id, null);
    }

    private ObjectNode modelJson(Task t) {
        return json.createObjectNode().put("id", MODEL_IDS.get(t)).put("object", "model").put("created", created).put("owned_by", "mmgp")
                .put("task", t.label());
    }

    /** 503 when the server has no model for {@code task}; 404 when {@code model} names another than its one. */
    void requireModel(Task task, JsonNode model, boolean required) {
        if (!jobs.hasModel(task)) {
            throw new ApiException(503, "model_not_configured", "this server has no " + task.label() + " model", null, 0);
        }
        if (model == null || model.isNull()) {
            if (required) throw ApiException.badRequest("model", "model is required (this server's " + task.label() + " model is " + MODEL_IDS.get(task) + ")");
            return;
        }
        if (!model.isTextual()) throw ApiException.badRequest("model", "model must be a string");
        if (!model.asText().equals(MODEL_IDS.get(task))) throw modelNotFound(model.asText(), task);
    }

    private ApiException modelNotFound(String id, Task task) {
        String which = task == null ? "" : "; this route takes " + MODEL_IDS.get(task) + " (GET /v1/models lists the models)";
        return new ApiException(404, "model_not_found", "the model '" + abbreviate(id) + "' does not exist" + which, "model", 0);
    }

    // ---- images ----

    private void images(Context ctx) throws Exception {
        ObjectNode body = body(ctx);
        Fields f = new Fields(body, "", false, IMAGE_FIELDS);
        requireModel(Task.IMAGE, body.get("model"), false);
        int n = f.integer("n", 1);
        if (n < 1 || n > MAX_IMAGES) throw ApiException.badRequest("n", "n must be from 1 to " + MAX_IMAGES + ", got " + n);
        boolean url = urlFormat(f);
        ObjectNode fields = json.createObjectNode().put("prompt", f.requiredText("prompt"));
        size(f, fields);
        copy(body, fields, "seed", "steps", "guidance_scale", "negative_prompt");
        ImageRequest first = renamed(() -> parser.image(fields));
        List<String> ids = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                // One job per image; the engine batches them. Each its own seed, else all n would be the same picture.
                ImageRequest r = i == 0 ? first : new ImageRequest(first.prompt(), first.options().withSeed(first.options().seed() + i));
                String id = newId(ctx);
                renamed(() -> {
                    jobs.submitImage(id, r, keyId(ctx));
                    return null;
                });
                ids.add(id);
            }
        } catch (RuntimeException e) {
            for (String id : ids) jobs.cancel(id); // all n or none
            throw e;
        }
        long deadline = System.nanoTime() + MAX_WAIT.toNanos();
        ArrayNode data = json.createArrayNode();
        for (String id : ids) {
            awaitDone(id, deadline);
            data.add(output(ctx, id, ResultFiles.IMAGE, url));
        }
        ctx.json(json.createObjectNode().put("created", Instant.now().getEpochSecond()).set("data", data));
    }

    // ---- videos (an mmgp extension in the style of the image route) ----

    private void videos(Context ctx) throws Exception {
        ObjectNode body = body(ctx);
        Fields f = new Fields(body, "", false, VIDEO_FIELDS);
        requireModel(Task.VIDEO, body.get("model"), false);
        boolean url = urlFormat(f);
        ObjectNode fields = json.createObjectNode().put("prompt", f.requiredText("prompt"));
        size(f, fields);
        copy(body, fields, "seed", "steps", "guidance_scale", "negative_prompt", "vae_memory_bytes");
        if (body.has("fps")) fields.set("frame_rate", body.get("fps"));
        float fps = f.number("fps", VideoOptions.defaults().frameRate());
        if (body.hasNonNull("frames") && body.hasNonNull("seconds")) throw ApiException.badRequest("seconds", "give seconds or frames, not both");
        if (body.hasNonNull("frames")) fields.set("frames", body.get("frames"));
        else if (body.hasNonNull("seconds")) fields.put("frames", framesFor(seconds(body.get("seconds")), fps));
        String id = newId(ctx);
        Path start = null;
        try {
            if (body.hasNonNull("image")) start = saveImage(id, f.text("image", null), "image");
            Path image = start;
            VideoRequest r = renamed(() -> parser.video(fields, image, false));
            renamed(() -> {
                jobs.submitVideo(id, r, keyId(ctx));
                return null;
            });
        } catch (RuntimeException | IOException e) {
            files.delete(id);
            throw e;
        }
        awaitDone(id, System.nanoTime() + MAX_WAIT.toNanos());
        ArrayNode data = json.createArrayNode().add(output(ctx, id, ResultFiles.VIDEO, url));
        ctx.json(json.createObjectNode().put("created", Instant.now().getEpochSecond()).set("data", data));
    }

    private static float seconds(JsonNode v) {
        double s;
        if (v.isNumber()) s = v.asDouble();
        else if (v.isTextual()) { // OpenAI's own video API spells seconds as a string ("4")
            try {
                s = Double.parseDouble(v.asText().strip());
            } catch (NumberFormatException e) {
                s = Double.NaN;
            }
        } else s = Double.NaN;
        if (!(s > 0 && s <= 600)) throw ApiException.badRequest("seconds", "seconds must be a number above 0 and at most 600");
        return (float) s;
    }

    /** The model's frame count (8·n+1) nearest to {@code seconds} at {@code fps}. */
    static int framesFor(float seconds, float fps) {
        return 8 * Math.max(0, Math.round((seconds * fps - 1) / 8f)) + 1;
    }

    // ---- shared by the routes ----

    /** The JSON body, at most a media upload's size in base64 plus 1 MiB; 400 unless it is an object. */
    ObjectNode body(Context ctx) throws IOException {
        if (ctx.req().getContentLengthLong() > maxBodyBytes) throw bodyTooLarge();
        byte[] bytes;
        try (InputStream in = ctx.req().getInputStream()) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1));
        }
        if (bytes.length > maxBodyBytes) throw bodyTooLarge();
        JsonNode n;
        try {
            n = bodies.readTree(bytes);
        } catch (IOException e) {
            throw ApiException.badRequest(null, "the body is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (n == null || !n.isObject()) throw ApiException.badRequest(null, "the body must be a JSON object");
        return (ObjectNode) n;
    }

    private ApiException bodyTooLarge() {
        return ApiException.tooLarge("the body is larger than " + maxBodyBytes + " bytes (media up to --max-upload-mb, base64-encoded)");
    }

    /** Decodes the data URI {@code url} of {@code param}, which must hold an image, into the job's folder. */
    Path saveImage(String id, String url, String param) throws IOException {
        DataUri d = DataUri.parse(url, param);
        if (!ImageSignature.isImage(d.bytes())) throw ApiException.badRequest(param, param + " is not a PNG, JPEG, BMP or GIF image");
        return save(id, "image." + ImageSignature.extension(d.bytes()), d.bytes(), param);
    }

    /** Writes an inline upload into the job's folder; 413 above the server's upload limit. */
    Path save(String id, String name, byte[] bytes, String param) throws IOException {
        if (bytes.length > maxUploadBytes) throw new ApiException(413, "payload_too_large", UploadLimits.tooLarge(maxUploadBytes).getMessage(), param, 0);
        Path target = jobs.uploadDir(id).resolve(name);
        Files.write(target, bytes);
        return target;
    }

    /** Waits until job {@code id} ended; 504 when it is still running at {@code deadline}, 500 when it did not succeed. */
    ObjectNode awaitDone(String id, long deadline) throws InterruptedException {
        Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        if (!JobWaiter.await(jobs, id, left)) {
            throw new ApiException(504, "timeout", "request " + id + " did not finish within " + MAX_WAIT.toSeconds() + " s; it goes on: follow it at /api/requests/" + id, null, 0);
        }
        return requireDone(jobs.describe(id));
    }

    static ObjectNode requireDone(ObjectNode job) {
        String status = job.path("status").asText();
        if (!status.equals(JobStatus.DONE.label())) {
            String why = job.hasNonNull("error") ? job.get("error").asText() : status;
            throw new ApiException(500, "request_" + status, "request " + job.path("request_id").asText() + " " + status + ": " + why, null, 0);
        }
        return job;
    }

    /** One element of "data": the file as base64, or the absolute URL of its native download route. */
    private ObjectNode output(Context ctx, String id, String name, boolean url) throws IOException {
        if (url) return json.createObjectNode().put("url", baseUrl(ctx) + "/api/requests/" + id + "/result/" + name);
        Path p = jobs.download(id, name).orElseThrow(() -> new ApiException(500, "result_missing", "request " + id + " has no " + name, null, 0));
        return json.createObjectNode().put("b64_json", Base64.getEncoder().encodeToString(Files.readAllBytes(p)));
    }

    private static String baseUrl(Context ctx) {
        return ctx.scheme() + "://" + ctx.host();
    }

    private static boolean urlFormat(Fields f) {
        String format = f.text("response_format", "b64_json");
        return switch (format) {
            case "b64_json" -> false;
            case "url" -> true;
            default -> throw ApiException.badRequest("response_format", "response_format must be b64_json or url, got " + abbreviate(format));
        };
    }

    /** "WxH" into width and height; absent or "auto" leaves the model's default size. */
    private static void size(Fields f, ObjectNode into) {
        String size = f.text("size", "auto");
        if (size.equals("auto")) return;
        String[] wh = size.toLowerCase(Locale.ROOT).split("x", -1);
        try {
            if (wh.length != 2) throw new NumberFormatException();
            into.put("width", Integer.parseInt(wh[0].strip())).put("height", Integer.parseInt(wh[1].strip()));
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("size", "size must be WIDTHxHEIGHT (e.g. 512x512) or auto, got " + abbreviate(size));
        }
    }

    private static void copy(ObjectNode from, ObjectNode to, String... names) {
        for (String n : names) if (from.has(n)) to.set(n, from.get(n));
    }

    /** Runs {@code parse}, naming OpenAI's parameter in its errors where it differs from the native field. */
    static <T> T renamed(Supplier<T> parse) {
        try {
            return parse.get();
        } catch (ApiException e) {
            String p = openAiParam(e.field());
            if (java.util.Objects.equals(p, e.field())) throw e;
            throw new ApiException(e.status(), e.code(), e.getMessage(), p, e.retryAfterSeconds());
        } catch (InvalidRequestException e) {
            throw ApiException.badRequest(openAiParam(e.field()), e.getMessage());
        }
    }

    private static String openAiParam(String field) {
        if (field == null) return null;
        return switch (field) {
            case "width", "height" -> "size";
            case "max_new_tokens" -> "max_tokens";
            case "frame_rate" -> "fps";
            default -> field;
        };
    }

    String newId(Context ctx) {
        String id = UUID.randomUUID().toString();
        AccessLog.requestId(ctx, id);
        return id;
    }

    static String keyId(Context ctx) {
        String k = ctx.attribute(AccessControl.KEY_ID);
        return k == null ? AccessControl.ANONYMOUS : k;
    }

    void deleteFiles(String id) throws IOException {
        files.delete(id);
    }

    static String abbreviate(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "…" : s;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> s = new HashSet<>(a);
        s.addAll(b);
        return Set.copyOf(s);
    }
}
