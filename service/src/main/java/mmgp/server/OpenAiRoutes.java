package mmgp.server;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
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
 * same rate limit (n images count n times) and metrics, and awaited with {@link JobWaiter} without
 * holding an HTTP thread, so they work on a single node and on a cluster front end alike. A job
 * that outlasts {@link JobWaiter#MAX_WAIT} is cancelled and answered 504. Media come inline as data
 * URIs, at most {@link #DEFAULT_MAX_INLINE_MEDIA_BYTES} decoded unless the server says otherwise;
 * errors have OpenAI's shape ({@link OpenAiErrors}).
 */
final class OpenAiRoutes {
    /** The default of the largest image or video a /v1 request may carry inline (decoded): base64 in a JSON string costs heap, unlike a multipart upload. */
    static final long DEFAULT_MAX_INLINE_MEDIA_BYTES = 32L << 20;
    /** How long a /v1 request waits for its jobs ({@link JobWaiter#MAX_WAIT}; tests shorten it). */
    static volatile Duration maxWait = JobWaiter.MAX_WAIT;
    /** How long a streamed chat completion may stay silent before a keep-alive comment (which also finds a client gone; tests shorten it). */
    static volatile Duration keepAlive = Duration.ofSeconds(15);
    /** The model ids /v1/models lists, one per task (the file behind it is the server's choice). */
    static final Map<Task, String> MODEL_IDS = new EnumMap<>(Map.of(Task.UNDERSTAND, "mmgp-understand", Task.IMAGE, "mmgp-image", Task.VIDEO, "mmgp-video"));
    static final int MAX_IMAGES = 10;
    /** Parameters OpenAI's clients may send that change nothing here (quality tiers, styles, tracking). */
    private static final Set<String> IGNORED_IMAGE_FIELDS = Set.of("quality", "style", "user", "background", "moderation", "output_format", "output_compression");
    private static final Set<String> IMAGE_FIELDS = union(IGNORED_IMAGE_FIELDS,
            Set.of("prompt", "model", "n", "size", "response_format", "seed", "steps", "guidance_scale", "negative_prompt"));
    private static final Set<String> VIDEO_FIELDS = Set.of("prompt", "model", "size", "seconds", "frames", "fps", "seed", "steps", "guidance_scale",
            "negative_prompt", "image", "response_format", "user", "vae_memory_bytes", "decode_timestep", "decode_noise_scale");

    private final Jobs jobs;
    private final RequestParser parser;
    private final ResultFiles files;
    private final ObjectMapper json;
    /** Reads request bodies: data URIs are long strings, far beyond Jackson's default cap of 20 M characters. */
    private final ObjectMapper bodies;
    /** The largest inline image or video, decoded. */
    private final long maxInlineBytes;
    private final long maxBodyBytes;
    private final long created = Instant.now().getEpochSecond();

    OpenAiRoutes(Jobs jobs, RequestParser parser, ResultFiles files, ObjectMapper json, long maxUploadBytes) {
        this(jobs, parser, files, json, maxUploadBytes, DEFAULT_MAX_INLINE_MEDIA_BYTES);
    }

    /** @param maxInlineMediaBytes the largest image or video a request may carry as a data URI (at most {@code maxUploadBytes}) */
    OpenAiRoutes(Jobs jobs, RequestParser parser, ResultFiles files, ObjectMapper json, long maxUploadBytes, long maxInlineMediaBytes) {
        this.jobs = jobs;
        this.parser = parser;
        this.files = files;
        this.json = json;
        this.maxInlineBytes = Math.min(maxUploadBytes, maxInlineMediaBytes);
        // base64 is 4/3 of the bytes, plus room for the rest of the request
        this.maxBodyBytes = maxInlineBytes / 3 * 4 + 4 + JobRoutes.MAX_JSON_BYTES;
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
        Fields f = Fields.openAi(body, IMAGE_FIELDS);
        requireModel(Task.IMAGE, body.get("model"), false);
        int n = f.integer("n", 1);
        if (n < 1 || n > MAX_IMAGES) throw ApiException.badRequest("n", "n must be from 1 to " + MAX_IMAGES + ", got " + n);
        boolean url = urlFormat(f);
        ObjectNode fields = json.createObjectNode().put("prompt", f.requiredText("prompt"));
        size(f, fields);
        copy(body, fields, "seed", "steps", "guidance_scale", "negative_prompt");
        ImageRequest first = renamed(() -> parser.image(fields));
        AccessControl.takeMore(ctx, n - 1); // n jobs count as n requests against the key's rate limit
        JobWaiter.Slot slot = JobWaiter.reserve();
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
            slot.close();
            for (String id : ids) jobs.cancel(id); // all n or none
            throw e;
        }
        whenDone(ctx, ids, slot, OpenAiRoutes::openAiParam, done -> {
            ArrayNode data = json.createArrayNode();
            for (String id : ids) data.add(output(ctx, id, ResultFiles.IMAGE, url));
            ctx.json(json.createObjectNode().put("created", Instant.now().getEpochSecond()).set("data", data));
        });
    }

    // ---- videos (an mmgp extension in the style of the image route) ----

    private void videos(Context ctx) throws Exception {
        ObjectNode body = body(ctx);
        Fields f = Fields.openAi(body, VIDEO_FIELDS);
        requireModel(Task.VIDEO, body.get("model"), false);
        boolean url = urlFormat(f);
        ObjectNode fields = json.createObjectNode().put("prompt", f.requiredText("prompt"));
        size(f, fields);
        copy(body, fields, "seed", "steps", "guidance_scale", "negative_prompt", "vae_memory_bytes", "decode_timestep", "decode_noise_scale");
        if (body.hasNonNull("fps")) fields.set("frame_rate", body.get("fps"));
        float fps = f.number("fps", VideoOptions.defaults().frameRate());
        if (body.hasNonNull("frames") && body.hasNonNull("seconds")) throw ApiException.badRequest("seconds", "give seconds or frames, not both");
        if (body.hasNonNull("frames")) fields.set("frames", body.get("frames"));
        else if (body.hasNonNull("seconds")) fields.put("frames", framesFor(seconds(body.get("seconds")), fps));
        // a frame count made from seconds is the caller's seconds: errors about it name that parameter
        UnaryOperator<String> param = body.hasNonNull("seconds") ? p -> "frames".equals(p) ? "seconds" : openAiParam(p) : OpenAiRoutes::openAiParam;
        String id = newId(ctx);
        Path start = null;
        JobWaiter.Slot slot = null;
        try {
            if (body.hasNonNull("image")) start = saveImage(id, f.text("image", null), "image");
            Path image = start;
            VideoRequest r = renamed(param, () -> parser.video(fields, image, false));
            slot = JobWaiter.reserve();
            renamed(param, () -> {
                jobs.submitVideo(id, r, keyId(ctx));
                return null;
            });
        } catch (RuntimeException | IOException e) {
            if (slot != null) slot.close();
            files.delete(id);
            throw e;
        }
        whenDone(ctx, List.of(id), slot, param, done -> {
            ArrayNode data = json.createArrayNode().add(output(ctx, id, ResultFiles.VIDEO, url));
            ctx.json(json.createObjectNode().put("created", Instant.now().getEpochSecond()).set("data", data));
        });
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

    /**
     * The JSON body, at most an inline image or video's size in base64 plus 1 MiB; 400 unless it is
     * an object. Parsed as it arrives, so the body is held once, as its parsed strings.
     */
    ObjectNode body(Context ctx) throws IOException {
        JsonBodies.requireJsonType(ctx.contentType());
        JsonNode n;
        Bodies.Bounded in = Bodies.stream(ctx, maxBodyBytes, this::bodyTooLarge);
        try (in) {
            n = bodies.readTree(in);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            if (in.exceeded()) throw bodyTooLarge();
            throw ApiException.badRequest(null, "the body is not valid JSON: " + String.valueOf(e.getOriginalMessage()).lines().findFirst().orElse(""));
        } catch (IOException | RuntimeException e) {
            if (in.exceeded()) throw bodyTooLarge();
            throw BodyReadErrors.translate(e, "the body"); // a stalled or trickling body is a 408, as on the native routes
        }
        if (n == null || !n.isObject()) throw ApiException.badRequest(null, "the body must be a JSON object");
        return (ObjectNode) n;
    }

    private ApiException bodyTooLarge() {
        return ApiException.tooLarge("the body is larger than " + maxBodyBytes + " bytes (inline media up to " + maxInlineBytes + " bytes, base64-encoded)");
    }

    /** The data URI {@code url} of request field {@code param}, decoded; 413 above the inline-media limit. */
    DataUri dataUri(String url, String param) {
        return DataUri.parse(url, param, maxInlineBytes);
    }

    /** Decodes the data URI {@code url} of {@code param}, which must hold an image, into the job's folder. */
    Path saveImage(String id, String url, String param) throws IOException {
        DataUri d = dataUri(url, param);
        if (!ImageSignature.isImage(d.bytes())) throw ApiException.badRequest(param, param + " is not a PNG, JPEG, BMP or GIF image");
        return save(id, "image." + ImageSignature.extension(d.bytes()), d.bytes());
    }

    /** Writes an inline upload into the job's folder. */
    Path save(String id, String name, byte[] bytes) throws IOException {
        Path target = jobs.uploadDir(id).resolve(name);
        Files.write(target, bytes);
        return target;
    }

    /** What the routes send once their jobs have all ended well. */
    interface Reply {
        void send(List<ObjectNode> jobs) throws Exception;
    }

    /**
     * Answers through {@code ctx.future} once the jobs {@code ids} have ended, holding no HTTP
     * thread meanwhile: {@code reply} with their descriptions when all are done, else the error of
     * the first that is not ({@link #requireDone}). When they take longer than {@link #maxWait},
     * they are cancelled (nobody will get their answer) and the answer is 504. {@code slot} is
     * released at the end.
     */
    void whenDone(Context ctx, List<String> ids, JobWaiter.Slot slot, UnaryOperator<String> param, Reply reply) {
        ctx.future(() -> {
            Duration max = maxWait;
            List<CompletableFuture<Boolean>> waits = new ArrayList<>();
            try {
                for (String id : ids) waits.add(JobWaiter.awaitAsync(jobs, id, max, null));
            } catch (RuntimeException e) {
                // the waits already begun would hold their watchers for up to max: stop them, and the jobs nobody will be answered for
                for (CompletableFuture<Boolean> w : waits) w.cancel(false);
                for (String id : ids) {
                    try {
                        jobs.cancel(id);
                    } catch (RuntimeException gone) { // the one that failed may be gone already
                        e.addSuppressed(gone);
                    }
                }
                slot.close();
                throw e;
            }
            return CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)).thenRunAsync(() -> {
                boolean late = false;
                for (int i = 0; i < ids.size(); i++) {
                    // cancel says false for a job that has ended meanwhile: that one is answered as it ended
                    if (!waits.get(i).join() && jobs.cancel(ids.get(i))) late = true;
                }
                if (late) {
                    for (String id : ids) jobs.cancel(id);
                    throw new ApiException(504, "timeout", (ids.size() == 1 ? "request " + ids.getFirst() : "the requests " + String.join(", ", ids))
                            + " did not finish within " + max.toSeconds() + " s and " + (ids.size() == 1 ? "was" : "were") + " cancelled", null, 0);
                }
                List<ObjectNode> done = new ArrayList<>();
                for (String id : ids) done.add(requireDone(jobs.describe(id), param));
                try {
                    reply.send(done);
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            }, JobWaiter.RUN).whenComplete((r, e) -> slot.close());
        });
    }

    /**
     * {@code job} when it is done; else its failure: 400 when the request was at fault (a value the
     * model refused, named as {@code param} calls it), else 500.
     */
    static ObjectNode requireDone(ObjectNode job, UnaryOperator<String> param) {
        String status = job.path("status").asText();
        if (!status.equals(JobStatus.DONE.label())) {
            String why = job.hasNonNull("error") ? job.get("error").asText() : status;
            String message = "request " + job.path("request_id").asText() + " " + status + ": " + why;
            if ("invalid_request".equals(job.path(JobFailures.CODE).asText(null))) {
                throw ApiException.badRequest(param.apply(job.path(JobFailures.FIELD).asText(null)), message);
            }
            throw new ApiException(500, "request_" + status, message, null, 0);
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
        return renamed(OpenAiRoutes::openAiParam, parse);
    }

    /** Runs {@code parse}, naming the parameter of its errors as {@code param} says. */
    static <T> T renamed(UnaryOperator<String> param, Supplier<T> parse) {
        try {
            return parse.get();
        } catch (ApiException e) {
            String p = param.apply(e.field());
            if (java.util.Objects.equals(p, e.field())) throw e;
            throw new ApiException(e.status(), e.code(), e.getMessage(), p, e.retryAfterSeconds());
        } catch (InvalidRequestException e) {
            throw ApiException.badRequest(param.apply(e.field()), e.getMessage());
        }
    }

    static String openAiParam(String field) {
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
        return Bodies.abbreviate(s);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> s = new HashSet<>(a);
        s.addAll(b);
        return Set.copyOf(s);
    }
}
