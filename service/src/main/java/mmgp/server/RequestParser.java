package mmgp.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Set;
import mmgp.api.ImageOptions;
import mmgp.api.ImageRequest;
import mmgp.api.InvalidRequestException;
import mmgp.api.Media;
import mmgp.api.PipelineOptions;
import mmgp.api.UnderstandOptions;
import mmgp.api.UnderstandRequest;
import mmgp.api.VideoOptions;
import mmgp.api.VideoRequest;

/**
 * Turns request bodies and form fields into engine requests, applying the server's
 * {@link RequestLimits}, and back into a normalized JSON (every field spelled out) that is stored
 * with the job and is enough to run it again after a restart.
 */
final class RequestParser {
    private static final Set<String> IMAGE_FIELDS = Set.of("negative_prompt", "steps", "guidance_scale", "width", "height", "seed");
    private static final Set<String> VIDEO_FIELDS = Set.of("negative_prompt", "frames", "width", "height", "steps", "guidance_scale", "frame_rate", "seed", "vae_memory_bytes",
            "decode_timestep", "decode_noise_scale");
    private static final Set<String> UNDERSTAND_FIELDS = Set.of("max_new_tokens", "temperature", "top_k", "top_p", "seed", "max_frames");

    private final ObjectMapper json;
    private final RequestLimits limits;

    RequestParser(ObjectMapper json, RequestLimits limits) {
        this.json = json;
        this.limits = limits;
    }

    /** The body as a JSON object; 400 naming "body" when it is not one. */
    JsonNode body(String text, String field) {
        if (text == null || text.isBlank()) throw ApiException.badRequest(field, field + " is empty; send a JSON object");
        try {
            // A key sent twice is refused rather than silently keeping the last one.
            JsonNode n = json.reader().with(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION).readTree(text);
            if (n == null || !n.isObject()) throw ApiException.badRequest(field, field + " must be a JSON object");
            return n;
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest(field, field + " is not valid JSON: " + e.getOriginalMessage());
        }
    }

    ImageRequest image(JsonNode body) {
        Fields f = new Fields(body, "", false, with(IMAGE_FIELDS, "prompt"));
        String prompt = f.requiredText("prompt");
        return new ImageRequest(prompt, imageOptions(f, ""));
    }

    VideoRequest video(JsonNode body) {
        return video(body, null, false);
    }

    /**
     * A video request from a JSON body or, with {@code formText}, the text fields of a multipart
     * /api/generate/video; {@code startImage} is the uploaded first frame (null: text to video).
     */
    VideoRequest video(JsonNode fields, Path startImage, boolean formText) {
        Fields f = new Fields(fields, "", formText, with(VIDEO_FIELDS, "prompt"));
        String prompt = f.requiredText("prompt");
        return new VideoRequest(prompt, videoOptions(f, "")).withStartImage(startImage);
    }

    /**
     * Form fields of /api/understand/video (values are text) for the uploaded {@code video}, or a
     * stored request ({@code formText} false), whose "media" ({@link #toJson(UnderstandRequest)})
     * says whether {@code upload} is an image or a video, or that there is none.
     */
    UnderstandRequest understand(JsonNode form, Path upload, boolean formText) {
        if (formText || form == null || !form.has("media")) return understand(form, Media.video(upload), formText);
        ObjectNode fields = ((ObjectNode) form).deepCopy();
        Media media = switch (fields.remove("media").asText()) {
            case "image" -> Media.image(upload);
            case "none" -> new Media.None();
            default -> Media.video(upload);
        };
        return understand(fields, media, false);
    }

    /** The fields of an understanding request about {@code media}. */
    UnderstandRequest understand(JsonNode form, Media media, boolean formText) {
        Fields f = new Fields(form, "", formText, with(UNDERSTAND_FIELDS, "prompt"));
        String prompt = f.requiredText("prompt");
        return new UnderstandRequest(media, prompt, understandOptions(f, ""));
    }

    /** The "options" JSON of /api/pipeline/full; every field optional. */
    PipelineOptions pipeline(JsonNode options) {
        PipelineOptions d = PipelineOptions.defaults();
        Fields f = new Fields(options, "", false, Set.of("caption_prompt", "caption", "image", "video", "video_from_image"));
        String captionPrompt = f.text("caption_prompt", d.captionPrompt());
        if (captionPrompt.isBlank()) throw ApiException.badRequest("caption_prompt", "caption_prompt must not be blank");
        UnderstandOptions caption = understandOptions(new Fields(f.object("caption"), "caption.", false, UNDERSTAND_FIELDS), "caption.", d.caption());
        ImageOptions image = imageOptions(new Fields(f.object("image"), "image.", false, IMAGE_FIELDS), "image.");
        VideoOptions video = videoOptions(new Fields(f.object("video"), "video.", false, VIDEO_FIELDS), "video.");
        JsonNode fromImage = options == null ? null : options.get("video_from_image");
        if (fromImage != null && !fromImage.isNull() && !fromImage.isBoolean()) throw ApiException.badRequest("video_from_image", "video_from_image must be true or false");
        return new PipelineOptions(captionPrompt, caption, image, video, fromImage == null || fromImage.isNull() || fromImage.asBoolean());
    }

    private ImageOptions imageOptions(Fields f, String prefix) {
        ImageOptions d = ImageOptions.defaults();
        int steps = f.integer("steps", Math.min(d.steps(), limits.maxSteps()));
        int width = f.integer("width", d.width());
        int height = f.integer("height", d.height());
        RequestLimits.check(f.name("steps"), steps, limits.maxSteps(), "--max-steps");
        RequestLimits.check(f.name("width"), width, limits.maxWidth(), "--max-width");
        RequestLimits.check(f.name("height"), height, limits.maxHeight(), "--max-height");
        return prefixed(prefix, () -> d.toBuilder().steps(steps).guidanceScale(f.number("guidance_scale", d.guidanceScale()))
                .negativePrompt(f.text("negative_prompt", d.negativePrompt())).size(width, height).seed(f.longValue("seed", d.seed())).build());
    }

    private VideoOptions videoOptions(Fields f, String prefix) {
        VideoOptions d = VideoOptions.defaults();
        int frames = f.integer("frames", d.frames());
        int width = f.integer("width", d.width());
        int height = f.integer("height", d.height());
        int steps = f.integer("steps", Math.min(d.steps(), limits.maxSteps()));
        RequestLimits.check(f.name("frames"), frames, limits.maxFrames(), "--max-frames");
        RequestLimits.check(f.name("width"), width, limits.maxWidth(), "--max-width");
        RequestLimits.check(f.name("height"), height, limits.maxHeight(), "--max-height");
        RequestLimits.check(f.name("steps"), steps, limits.maxSteps(), "--max-steps");
        return prefixed(prefix, () -> d.toBuilder().size(frames, width, height).steps(steps).guidanceScale(f.number("guidance_scale", d.guidanceScale()))
                .negativePrompt(f.text("negative_prompt", d.negativePrompt())).frameRate(f.number("frame_rate", d.frameRate())).seed(f.longValue("seed", d.seed()))
                .vaeMemoryBytes(f.longValue("vae_memory_bytes", d.vaeMemoryBytes()))
                .decode(f.number("decode_timestep", d.decodeTimestep()), f.number("decode_noise_scale", d.decodeNoiseScale())).build());
    }

    private UnderstandOptions understandOptions(Fields f, String prefix) {
        return understandOptions(f, prefix, UnderstandOptions.defaults());
    }

    private UnderstandOptions understandOptions(Fields f, String prefix, UnderstandOptions d) {
        int maxNew = f.integer("max_new_tokens", Math.min(d.maxNewTokens(), limits.maxNewTokens()));
        int maxFrames = f.integer("max_frames", d.maxFrames());
        RequestLimits.check(f.name("max_new_tokens"), maxNew, limits.maxNewTokens(), "--max-new-tokens");
        RequestLimits.check(f.name("max_frames"), maxFrames, limits.maxFrames(), "--max-frames");
        return prefixed(prefix, () -> d.toBuilder().maxNewTokens(checkedMaxNewTokens(maxNew)).temperature(f.number("temperature", d.temperature())).topK(f.integer("top_k", d.topK()))
                .topP(f.number("top_p", d.topP())).seed(f.longValue("seed", d.seed())).maxFrames(maxFrames).build());
    }

    /**
     * A request's token budget, capped whatever {@code --max-new-tokens} says: the API record leaves the
     * bound to the model's context (a CLI run may use all of it), a public endpoint keeps this guard.
     */
    static final int MAX_NEW_TOKENS = 4096;

    private static int checkedMaxNewTokens(int maxNew) {
        InvalidRequestException.checkRange("max_new_tokens", maxNew, 1, MAX_NEW_TOKENS);
        return maxNew;
    }

    /** Re-raises the records' own range checks with the nested field's full name. */
    private static <T> T prefixed(String prefix, java.util.function.Supplier<T> make) {
        try {
            return make.get();
        } catch (InvalidRequestException e) {
            if (prefix.isEmpty()) throw e;
            throw new InvalidRequestException(prefix + e.field(), e.getMessage().substring(e.field().length() + 2));
        }
    }

    // ---- normalized JSON, stored with the job ----

    ObjectNode toJson(ImageRequest r) {
        return imageJson(r.options()).put("prompt", r.prompt());
    }

    ObjectNode toJson(VideoRequest r) {
        return videoJson(r.options()).put("prompt", r.prompt());
    }

    ObjectNode toJson(UnderstandRequest r) {
        String media = switch (r.media()) {
            case Media.ImageFile i -> "image";
            case Media.VideoFile v -> "video";
            case Media.None n -> "none";
        };
        return understandJson(r.options()).put("prompt", r.prompt()).put("media", media);
    }

    ObjectNode toJson(PipelineOptions o) {
        ObjectNode n = json.createObjectNode().put("caption_prompt", o.captionPrompt());
        n.set("caption", understandJson(o.caption()));
        n.set("image", imageJson(o.image()));
        n.set("video", videoJson(o.video()));
        n.put("video_from_image", o.videoFromImage());
        return n;
    }

    private ObjectNode imageJson(ImageOptions o) {
        return json.createObjectNode().put("negative_prompt", o.negativePrompt()).put("steps", o.steps()).put("guidance_scale", o.guidanceScale())
                .put("width", o.width()).put("height", o.height()).put("seed", o.seed());
    }

    private ObjectNode videoJson(VideoOptions o) {
        ObjectNode node = json.createObjectNode().put("negative_prompt", o.negativePrompt()).put("frames", o.frames()).put("width", o.width())
                .put("height", o.height()).put("steps", o.steps()).put("guidance_scale", orNull(o.guidanceScale()))
                .put("frame_rate", o.frameRate()).put("seed", o.seed()).put("vae_memory_bytes", o.vaeMemoryBytes());
        // Written only when given: a stored job without them stays readable by a worker that predates the fields.
        if (!Float.isNaN(o.decodeTimestep())) node.put("decode_timestep", o.decodeTimestep());
        if (!Float.isNaN(o.decodeNoiseScale())) node.put("decode_noise_scale", o.decodeNoiseScale());
        return node;
    }

    /** A value left to the model (NaN) is stored as null, which parses back to "left to the model". */
    private static Float orNull(float value) {
        return Float.isNaN(value) ? null : value;
    }

    private ObjectNode understandJson(UnderstandOptions o) {
        return json.createObjectNode().put("max_new_tokens", o.maxNewTokens()).put("temperature", o.temperature()).put("top_k", o.topK())
                .put("top_p", o.topP()).put("seed", o.seed()).put("max_frames", o.maxFrames());
    }

    private static Set<String> with(Set<String> fields, String extra) {
        java.util.HashSet<String> s = new java.util.HashSet<>(fields);
        s.add(extra);
        return Set.copyOf(s);
    }
}
