package mmgp.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import mmgp.api.Media;
import mmgp.api.Task;
import mmgp.api.UnderstandRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POST /v1/chat/completions for the understanding model. The messages become one understanding
 * job: their text the prompt, their one image ({@code image_url}) or video ({@code video_url}, an
 * mmgp extension) part the media, both sent inline as data URIs. The answer is a
 * {@code chat.completion}, or with {@code "stream": true} server-sent {@code chat.completion.chunk}s
 * carrying the caption as the job streams it, then {@code data: [DONE]}.
 */
final class OpenAiChat {
    private static final Logger log = LoggerFactory.getLogger(OpenAiChat.class);
    /** Parameters OpenAI's clients may send that change nothing here. */
    private static final Set<String> IGNORED = Set.of("user", "store", "metadata", "frequency_penalty", "presence_penalty", "service_tier", "parallel_tool_calls");
    private static final Set<String> FIELDS;

    static {
        Set<String> s = new java.util.HashSet<>(IGNORED);
        s.addAll(Set.of("model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "seed", "stream", "stream_options", "n",
                "top_k", "max_frames"));
        FIELDS = Set.copyOf(s);
    }

    private final OpenAiRoutes routes;
    private final Jobs jobs;
    private final RequestParser parser;
    private final ObjectMapper json;

    OpenAiChat(OpenAiRoutes routes, Jobs jobs, RequestParser parser, ObjectMapper json) {
        this.routes = routes;
        this.jobs = jobs;
        this.parser = parser;
        this.json = json;
    }

    /** What the messages ask: the prompt, and the image or video they carry (null: none). */
    private record Conversation(String prompt, byte[] media, boolean image) {}

    void complete(Context ctx) throws Exception {
        ObjectNode body = routes.body(ctx);
        Fields f = Fields.openAi(body, FIELDS);
        routes.requireModel(Task.UNDERSTAND, body.get("model"), true);
        String model = body.get("model").asText();
        if (f.integer("n", 1) != 1) throw ApiException.badRequest("n", "n must be 1: the model gives one answer per request");
        boolean stream = bool(body, "stream");
        f.object("stream_options"); // an object when present
        boolean usageChunk = stream && bool(body.get("stream_options"), "include_usage");
        if (body.hasNonNull("max_tokens") && body.hasNonNull("max_completion_tokens")) {
            throw ApiException.badRequest("max_tokens", "give max_tokens or max_completion_tokens, not both");
        }
        Conversation c = conversation(body.get("messages"));

        ObjectNode fields = json.createObjectNode().put("prompt", c.prompt());
        JsonNode maxTokens = body.hasNonNull("max_completion_tokens") ? body.get("max_completion_tokens") : body.get("max_tokens");
        if (maxTokens != null && !maxTokens.isNull()) fields.set("max_new_tokens", maxTokens);
        for (String n : List.of("temperature", "top_p", "top_k", "seed", "max_frames")) if (body.hasNonNull(n)) fields.set(n, body.get(n));
        String id = routes.newId(ctx);
        JobWaiter.Slot slot = null;
        try {
            Path upload = c.media() == null ? null : routes.save(id, "input." + (c.image() ? ImageSignature.extension(c.media()) : "mp4"), c.media());
            Media media = upload == null ? new Media.None() : c.image() ? Media.image(upload) : Media.video(upload);
            UnderstandRequest r = OpenAiRoutes.renamed(() -> parser.understand(fields, media, false));
            slot = JobWaiter.reserve();
            OpenAiRoutes.renamed(() -> {
                jobs.submitUnderstand(id, r, upload == null ? null : upload.getFileName().toString(), OpenAiRoutes.keyId(ctx));
                return null;
            });
        } catch (RuntimeException | IOException e) {
            if (slot != null) slot.close();
            routes.deleteFiles(id);
            throw e;
        }
        String completionId = "chatcmpl-" + id;
        if (stream) {
            ctx.status(200);
            ctx.res().setContentType("text/event-stream; charset=utf-8");
            ctx.res().setHeader("Cache-Control", "no-cache");
            ctx.res().setHeader("X-Accel-Buffering", "no"); // nginx would otherwise hold the chunks back
            OutputStream out = ctx.res().getOutputStream();
            JobWaiter.Slot held = slot;
            ctx.future(() -> CompletableFuture.runAsync(() -> {
                try {
                    stream(out, id, completionId, model, usageChunk);
                } finally {
                    held.close();
                }
            }, JobWaiter.RUN));
            return;
        }
        routes.whenDone(ctx, List.of(id), slot, OpenAiRoutes::openAiParam, done -> {
            ObjectNode job = done.getFirst();
            JsonNode result = job.path("result");
            ObjectNode answer = head(completionId, "chat.completion", model, Instant.now().getEpochSecond());
            ObjectNode choice = answer.putArray("choices").addObject().put("index", 0);
            choice.putObject("message").put("role", "assistant").put("content", job.path("caption").asText(""));
            choice.putNull("logprobs");
            choice.put("finish_reason", finishReason(result));
            answer.set("usage", usage(result));
            ctx.json(answer);
        });
    }

    // ---- the messages ----

    /**
     * The prompt and media of {@code messages}. One user message is its text; a longer
     * conversation (a system message, earlier turns) is written out as "Role: text" lines, since
     * the model answers one prompt. At most one image or video in all.
     */
    private Conversation conversation(JsonNode messages) {
        if (messages == null || !messages.isArray() || messages.isEmpty()) throw ApiException.badRequest("messages", "messages must be a non-empty array");
        List<String[]> turns = new ArrayList<>();
        byte[] media = null;
        boolean image = false;
        for (int i = 0; i < messages.size(); i++) {
            String at = "messages[" + i + "]";
            JsonNode m = messages.get(i);
            if (!m.isObject()) throw ApiException.badRequest(at, at + " must be an object");
            String role = m.path("role").asText("");
            if (!Set.of("system", "developer", "user", "assistant").contains(role)) {
                throw ApiException.badRequest(at + ".role", at + ".role must be system, developer, user or assistant (tools are not supported), got '" + OpenAiRoutes.abbreviate(role) + "'");
            }
            JsonNode content = m.get("content");
            StringBuilder text = new StringBuilder();
            if (content == null || content.isNull()) {
                if (!role.equals("assistant")) throw ApiException.badRequest(at + ".content", at + ".content is required");
            } else if (content.isTextual()) {
                text.append(content.asText());
            } else if (content.isArray()) {
                for (int j = 0; j < content.size(); j++) {
                    String pat = at + ".content[" + j + "]";
                    JsonNode part = content.get(j);
                    String type = part.path("type").asText("");
                    switch (type) {
                        case "text" -> {
                            if (!part.path("text").isTextual()) throw ApiException.badRequest(pat + ".text", pat + ".text must be a string");
                            if (!text.isEmpty()) text.append('\n');
                            text.append(part.get("text").asText());
                        }
                        case "image_url", "video_url" -> {
                            if (!role.equals("user")) throw ApiException.badRequest(pat, "images and videos go in user messages");
                            if (media != null) throw ApiException.badRequest(pat, "the model looks at one image or video per request; this is the second");
                            String param = pat + "." + type + ".url";
                            DataUri d = routes.dataUri(part.path(type).path("url").asText(null), param);
                            image = ImageSignature.isImage(d.bytes());
                            if (type.equals("image_url") && !image) throw ApiException.badRequest(param, param + " is not a PNG, JPEG, BMP or GIF image");
                            if (type.equals("video_url") && image) throw ApiException.badRequest(param, param + " holds an image; send it as an image_url part");
                            media = d.bytes();
                        }
                        default -> throw ApiException.badRequest(pat + ".type", pat + ".type must be text, image_url or video_url, got '"
                                + OpenAiRoutes.abbreviate(type) + "'");
                    }
                }
            } else {
                throw ApiException.badRequest(at + ".content", at + ".content must be a string or an array of parts");
            }
            if (!text.toString().isBlank()) turns.add(new String[] {role, text.toString().strip()});
        }
        String prompt;
        if (turns.isEmpty()) {
            if (media == null) throw ApiException.badRequest("messages", "the messages hold no text and no image or video");
            prompt = image ? "Can you describe this image?" : "Describe this video in detail."; // what the CLI asks
        } else if (turns.size() == 1 && turns.getFirst()[0].equals("user")) {
            prompt = turns.getFirst()[1];
        } else {
            StringBuilder b = new StringBuilder();
            for (String[] t : turns) {
                if (!b.isEmpty()) b.append('\n');
                String who = switch (t[0]) {
                    case "system", "developer" -> "System";
                    case "assistant" -> "Assistant";
                    default -> "User";
                };
                b.append(who).append(": ").append(t[1]);
            }
            prompt = b.toString();
        }
        return new Conversation(prompt, media, image);
    }

    // ---- streaming ----

    /**
     * Streams the caption as {@code chat.completion.chunk}s: the role first, a delta per piece the
     * job reports, the finish reason, optionally the usage, then [DONE]. Runs on a virtual thread
     * ({@link JobWaiter#RUN}), not the HTTP pool. A comment line (": keep-alive") goes out after
     * {@link OpenAiRoutes#keepAlive} without a piece, so proxies keep the connection and a client
     * that went away is noticed: its job is then cancelled, as closing a stream does at OpenAI,
     * and so is a job that outlasts {@link OpenAiRoutes#maxWait}. An error once the stream has
     * started (its 200 is sent) goes out as an {@code {"error": ...}} event, then [DONE].
     */
    void stream(OutputStream out, String id, String completionId, String model, boolean usageChunk) {
        long created = Instant.now().getEpochSecond(); // one for every chunk, as OpenAI sends them
        Duration max = OpenAiRoutes.maxWait;
        long deadline = System.nanoTime() + max.toNanos();
        StringBuilder sent = new StringBuilder();
        JobWaiter w = null;
        try {
            ObjectNode first = head(completionId, "chat.completion.chunk", model, created);
            first.withArray("choices").addObject().put("index", 0).putNull("logprobs").putNull("finish_reason")
                    .putObject("delta").put("role", "assistant").put("content", "");
            send(out, first.toString());
            w = JobWaiter.watching(jobs, id);
            boolean ended = w.drain(deadline, OpenAiRoutes.keepAlive, e -> {
                String piece = switch (e.name()) {
                    case "text" -> read(e.json()).path("piece").asText("");
                    case "state" -> read(e.json()).path("caption").asText(""); // what the job said before this stream subscribed
                    default -> "";
                };
                if (piece.isEmpty()) return;
                sent.append(piece);
                send(out, delta(completionId, model, created, piece).toString());
            }, () -> write(out, ": keep-alive\n\n"));
            if (!ended && jobs.cancel(id)) { // false: it ended meanwhile, and is answered as it ended
                throw new ApiException(504, "timeout", "request " + id + " did not finish within " + max.toSeconds() + " s and was cancelled", null, 0);
            }
            ObjectNode job = OpenAiRoutes.requireDone(jobs.describe(id), OpenAiRoutes::openAiParam);
            // In a cluster the first pieces may have come before this stream subscribed: send what the final caption adds.
            String caption = job.path("caption").asText("");
            if (caption.length() > sent.length() && caption.startsWith(sent.toString())) {
                send(out, delta(completionId, model, created, caption.substring(sent.length())).toString());
            }
            JsonNode result = job.path("result");
            ObjectNode last = head(completionId, "chat.completion.chunk", model, created);
            last.withArray("choices").addObject().put("index", 0).putNull("logprobs").put("finish_reason", finishReason(result)).putObject("delta");
            send(out, last.toString());
            if (usageChunk) {
                ObjectNode u = head(completionId, "chat.completion.chunk", model, created);
                u.putArray("choices");
                u.set("usage", usage(result));
                send(out, u.toString());
            }
            send(out, "[DONE]");
        } catch (UncheckedIOException e) {
            log.info("chat stream of {} closed by the client; cancelling the request", id);
            cancelQuietly(id);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancelQuietly(id);
        } catch (RuntimeException e) {
            ApiException error = e instanceof ApiException a ? a : new ApiException(500, "internal_error", "internal error: " + e.getClass().getSimpleName(), null, 0);
            if (!(e instanceof ApiException)) log.error("chat stream of {} failed", id, e);
            cancelQuietly(id); // nobody will read the rest (a no-op for a job that has ended)
            try {
                send(out, json.valueToTree(OpenAiErrors.body(error)).toString());
                send(out, "[DONE]");
            } catch (UncheckedIOException gone) {
                log.debug("chat stream of {} closed before its error was sent", id);
            }
        } finally {
            if (w != null) w.close();
        }
    }

    private void cancelQuietly(String id) {
        try {
            jobs.cancel(id);
        } catch (RuntimeException e) {
            log.debug("could not cancel {}: {}", id, e.toString());
        }
    }

    private ObjectNode delta(String completionId, String model, long created, String piece) {
        ObjectNode c = head(completionId, "chat.completion.chunk", model, created);
        c.withArray("choices").addObject().put("index", 0).putNull("logprobs").putNull("finish_reason").putObject("delta").put("content", piece);
        return c;
    }

    private static void send(OutputStream out, String data) {
        write(out, "data: " + data + "\n\n");
    }

    private static void write(OutputStream out, String text) {
        try {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- shapes ----

    private ObjectNode head(String completionId, String object, String model, long created) {
        ObjectNode n = json.createObjectNode().put("id", completionId).put("object", object).put("created", created).put("model", model);
        n.putNull("system_fingerprint");
        return n;
    }

    /** "length" when the answer hit max_tokens, else "stop". */
    private static String finishReason(JsonNode result) {
        return "max_tokens".equals(result.path("stop_reason").asText()) ? "length" : "stop";
    }

    private ObjectNode usage(JsonNode result) {
        int prompt = result.path("prompt_tokens").asInt(0);
        int completion = result.path("generated_tokens").asInt(0);
        return json.createObjectNode().put("prompt_tokens", prompt).put("completion_tokens", completion).put("total_tokens", prompt + completion);
    }

    private JsonNode read(String text) {
        try {
            return json.readTree(text);
        } catch (JsonProcessingException e) {
            return json.createObjectNode();
        }
    }

    private static boolean bool(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        if (v == null || v.isNull()) return false;
        if (!v.isBoolean()) throw ApiException.badRequest(field, field + " must be true or false");
        return v.asBoolean();
    }
}
