package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * The OpenAI-compatible /v1 routes, fed the JSON bodies OpenAI's Python client sends
 * (src/test/resources/openai/), answered field by field in the shapes that client parses.
 */
class OpenAiApiTest extends FakeServer {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};

    static String fixture(String name) throws IOException {
        try (InputStream in = OpenAiApiTest.class.getResourceAsStream("/openai/" + name)) {
            if (in == null) throw new IOException("missing test resource /openai/" + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** A POST as openai-python makes it: JSON, its Accept and its client headers. */
    Http.Reply post(Http client, String path, String body) {
        return client.send(client.request(path).header("Content-Type", "application/json").header("Accept", "application/json")
                .header("User-Agent", "OpenAI/Python 1.54.0").header("X-Stainless-Lang", "python")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    @Test
    void modelsAreListedPerTaskInOpenAisListShape() throws Exception {
        Http.Reply r = http.get("/v1/models");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode list = r.json();
        assertThat(list.get("object").asText()).isEqualTo("list");
        assertThat(list.get("data")).hasSize(3);
        List<String> ids = new ArrayList<>();
        for (JsonNode m : list.get("data")) {
            ids.add(m.get("id").asText());
            assertThat(m.get("object").asText()).isEqualTo("model");
            assertThat(m.get("created").isIntegralNumber()).isTrue();
            assertUnixSeconds(m.get("created"));
            assertThat(m.get("owned_by").asText()).isEqualTo("mmgp");
        }
        assertThat(ids).containsExactlyInAnyOrder("mmgp-understand", "mmgp-image", "mmgp-video");

        assertThat(http.get("/v1/models/mmgp-image").json().get("id").asText()).isEqualTo("mmgp-image");
        Http.Reply missing = http.get("/v1/models/gpt-4o");
        assertThat(missing.status()).isEqualTo(404);
        assertOpenAiError(missing.json(), "invalid_request_error", "model_not_found", "model");
    }

    @Test
    void imagesGenerateAnswersBase64PngsOneJobEach() throws Exception {
        Http.Reply r = post(http, "/v1/images/generations", fixture("images_generate.json"));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode answer = r.json();
        assertUnixSeconds(answer.get("created"));
        assertThat(answer.get("data")).hasSize(2);
        for (JsonNode image : answer.get("data")) {
            assertThat(image.fieldNames()).toIterable().containsExactly("b64_json");
            byte[] png = Base64.getDecoder().decode(image.get("b64_json").asText());
            assertThat(png).startsWith(PNG_SIGNATURE);
            java.awt.image.BufferedImage decoded = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
            assertThat(decoded.getWidth()).isEqualTo(64);
            assertThat(decoded.getHeight()).isEqualTo(64);
        }
    }

    @Test
    void imagesGenerateWithUrlPointsAtTheNativeDownloadOfAnOrdinaryJob() throws Exception {
        Http.Reply r = post(http, "/v1/images/generations", fixture("images_generate_url.json"));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode data = r.json().get("data");
        assertThat(data).hasSize(1);
        String url = data.get(0).get("url").asText();
        assertThat(url).startsWith(server.url() + "/api/requests/").endsWith("/result/image.png");
        String path = url.substring(server.url().length());
        assertThat(http.download(path)).startsWith(PNG_SIGNATURE);
        String id = path.split("/")[3];
        JsonNode job = http.get("/api/requests/" + id).json();
        assertThat(job.get("task").asText()).isEqualTo("image");
        assertThat(job.get("status").asText()).isEqualTo("done");
        assertThat(job.path("result").get("width").asInt()).isEqualTo(32);
        // another key does not see it, as for any job
        assertThat(http.withKey(TestServers.OTHER_KEY).get("/api/requests/" + id).status()).isEqualTo(404);
    }

    @Test
    void chatCompletionWithAnImageAnswersAChatCompletion() throws Exception {
        Http.Reply r = post(http, "/v1/chat/completions", fixture("chat_image.json"));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode c = r.json();
        assertThat(c.get("id").asText()).startsWith("chatcmpl-");
        assertThat(c.get("object").asText()).isEqualTo("chat.completion");
        assertUnixSeconds(c.get("created"));
        assertThat(c.get("model").asText()).isEqualTo("mmgp-understand");
        assertThat(c.get("choices")).hasSize(1);
        JsonNode choice = c.get("choices").get(0);
        assertThat(choice.get("index").asInt()).isZero();
        assertThat(choice.get("message").get("role").asText()).isEqualTo("assistant");
        assertThat(choice.get("message").get("content").asText()).isEqualTo("a red ball rolls");
        assertThat(choice.get("finish_reason").asText()).isEqualTo("length"); // max_tokens 4 of a 7-word caption
        JsonNode usage = c.get("usage");
        assertThat(usage.get("prompt_tokens").asInt()).isEqualTo(12);
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(4);
        assertThat(usage.get("total_tokens").asInt()).isEqualTo(16);

        // the same job as the native API shows it, asked about an image
        String id = c.get("id").asText().substring("chatcmpl-".length());
        assertThat(http.get("/api/requests/" + id).json().get("caption").asText()).isEqualTo("a red ball rolls");
        assertThat(Files.readAllBytes(dir.resolve("data/jobs/" + id + "/input.png"))).startsWith(PNG_SIGNATURE);
        JsonNode stored = Http.JSON.readTree(server.jobs().record(id).requestJson());
        assertThat(stored.get("media").asText()).isEqualTo("image");
        assertThat(stored.get("prompt").asText()).isEqualTo("What is in this image?");
        assertThat(stored.get("max_new_tokens").asInt()).isEqualTo(4);
    }

    @Test
    void chatCompletionWithAVideoPartAndTextOnlyChatsRun() throws Exception {
        Http.Reply r = post(http, "/v1/chat/completions", fixture("chat_video.json"));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode c = r.json();
        assertThat(c.get("choices").get(0).get("message").get("content").asText()).isEqualTo(String.join(" ", FakeModels.CAPTION));
        assertThat(c.get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
        String id = c.get("id").asText().substring("chatcmpl-".length());
        JsonNode stored = Http.JSON.readTree(server.jobs().record(id).requestJson());
        assertThat(stored.get("media").asText()).isEqualTo("video");
        assertThat(stored.get("seed").asLong()).isEqualTo(3);

        Http.Reply text = post(http, "/v1/chat/completions",
                "{\"model\": \"mmgp-understand\", \"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hello\"}]}");
        assertThat(text.status()).as(text.body()).isEqualTo(200);
        String textId = text.json().get("id").asText().substring("chatcmpl-".length());
        JsonNode storedText = Http.JSON.readTree(server.jobs().record(textId).requestJson());
        assertThat(storedText.get("media").asText()).isEqualTo("none");
        assertThat(storedText.has("upload")).isFalse();
        assertThat(storedText.get("prompt").asText()).isEqualTo("System: Be brief.\nUser: Hello");
    }

    @Test
    void streamedChatCompletionSendsRoleDeltasFinishUsageAndDone() throws Exception {
        List<String> data = stream(fixture("chat_image_stream.json"));
        assertThat(data.getLast()).isEqualTo("[DONE]");
        List<JsonNode> chunks = new ArrayList<>();
        for (String d : data.subList(0, data.size() - 1)) chunks.add(Http.JSON.readTree(d));
        String id = chunks.getFirst().get("id").asText();
        assertThat(id).startsWith("chatcmpl-");
        long created = chunks.getFirst().get("created").asLong();
        assertUnixSeconds(chunks.getFirst().get("created"));
        for (JsonNode c : chunks) {
            assertThat(c.get("id").asText()).isEqualTo(id);
            assertThat(c.get("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(c.get("created").asLong()).isEqualTo(created); // one for the whole stream
            assertThat(c.get("model").asText()).isEqualTo("mmgp-understand");
        }
        JsonNode first = chunks.getFirst().get("choices").get(0);
        assertThat(first.get("index").asInt()).isZero();
        assertThat(first.get("delta").get("role").asText()).isEqualTo("assistant");
        assertThat(first.get("finish_reason").isNull()).isTrue();

        JsonNode usageChunk = chunks.getLast();
        assertThat(usageChunk.get("choices")).isEmpty();
        assertThat(usageChunk.get("usage").get("completion_tokens").asInt()).isEqualTo(FakeModels.CAPTION.length);
        assertThat(usageChunk.get("usage").get("total_tokens").asInt()).isEqualTo(12 + FakeModels.CAPTION.length);

        JsonNode finish = chunks.get(chunks.size() - 2).get("choices").get(0);
        assertThat(finish.get("finish_reason").asText()).isEqualTo("stop");
        assertThat(finish.get("delta").isEmpty()).isTrue();

        StringBuilder content = new StringBuilder();
        List<JsonNode> deltas = chunks.subList(1, chunks.size() - 2);
        assertThat(deltas).isNotEmpty();
        for (JsonNode c : deltas) {
            JsonNode choice = c.get("choices").get(0);
            assertThat(choice.get("finish_reason").isNull()).isTrue();
            assertThat(choice.get("delta").has("role")).isFalse();
            content.append(choice.get("delta").get("content").asText());
        }
        assertThat(content.toString()).isEqualTo(String.join(" ", FakeModels.CAPTION));
        // the system message and the question became one prompt
        JsonNode stored = Http.JSON.readTree(server.jobs().record(id.substring("chatcmpl-".length())).requestJson());
        assertThat(stored.get("prompt").asText()).isEqualTo("System: You are a concise assistant.\nUser: What is in this image?");
    }

    @Test
    void aStreamedChatStreamsPiecesWhileTheJobRuns() throws Exception {
        models.understand.hold = new CountDownLatch(1); // the model stops after its first word until released
        List<String> statusAtFirstPiece = new ArrayList<>();
        List<String> data = stream(fixture("chat_image_stream.json"), d -> {
            if (statusAtFirstPiece.isEmpty() && d.contains("\"content\":\"a\"")) {
                String id = uuids(d).getFirst();
                statusAtFirstPiece.add(http.get("/api/requests/" + id).json().get("status").asText());
                models.understand.hold.countDown();
            }
        });
        assertThat(statusAtFirstPiece).containsExactly("running"); // the first piece came while the job was held
        assertThat(data.getLast()).isEqualTo("[DONE]");
        // role chunk, 7 pieces, finish, usage, [DONE]
        assertThat(data).hasSize(1 + FakeModels.CAPTION.length + 3);
    }

    @Test
    void errorsHaveOpenAisShapeAndStatus() throws Exception {
        Http.Reply remote = post(http, "/v1/chat/completions", fixture("chat_remote_image.json"));
        assertThat(remote.status()).isEqualTo(400);
        assertOpenAiError(remote.json(), "invalid_request_error", "invalid_request", "messages[0].content[1].image_url.url");
        assertThat(remote.json().get("error").get("message").asText()).contains("does not fetch URLs").contains("data:");

        Http.Reply noKey = post(http.withKey(null), "/v1/chat/completions", fixture("chat_image.json"));
        assertThat(noKey.status()).isEqualTo(401);
        assertOpenAiError(noKey.json(), "invalid_request_error", "invalid_api_key", null);

        Http.Reply wrongModel = post(http, "/v1/chat/completions", fixture("chat_image.json").replace("mmgp-understand", "gpt-4o"));
        assertThat(wrongModel.status()).isEqualTo(404);
        assertOpenAiError(wrongModel.json(), "invalid_request_error", "model_not_found", "model");

        Http.Reply size = post(http, "/v1/images/generations", "{\"prompt\": \"x\", \"size\": \"big\"}");
        assertThat(size.status()).isEqualTo(400);
        assertOpenAiError(size.json(), "invalid_request_error", "invalid_request", "size");

        // The model's own checks: while it is not loaded they run with the job, which then fails; once
        // loaded they run at submission. Either way the caller's value is at fault: 400, named as OpenAI's parameter.
        Http.Reply failed = post(http, "/v1/images/generations", "{\"prompt\": \"x\", \"size\": \"20x16\"}");
        assertThat(failed.status()).as(failed.body()).isEqualTo(400);
        assertOpenAiError(failed.json(), "invalid_request_error", "invalid_request", "size");
        assertThat(failed.json().get("error").get("message").asText()).contains("multiple of 16");
        assertThat(failed.header("x-should-retry")).isNull();
        assertThat(post(http, "/v1/images/generations", "{\"prompt\": \"x\", \"size\": \"16x16\"}").status()).isEqualTo(200);
        Http.Reply badWidth = post(http, "/v1/images/generations", "{\"prompt\": \"x\", \"size\": \"20x16\"}");
        assertThat(badWidth.status()).isEqualTo(400);
        assertOpenAiError(badWidth.json(), "invalid_request_error", "invalid_request", "size");

        Http.Reply n = post(http, "/v1/images/generations", "{\"prompt\": \"x\", \"n\": 11}");
        assertThat(n.status()).isEqualTo(400);
        assertOpenAiError(n.json(), "invalid_request_error", "invalid_request", "n");

        // a job that fails for another reason is a server error the client must not send again
        Http.Reply exploded = post(http, "/v1/images/generations", "{\"prompt\": \"explode\", \"size\": \"16x16\"}");
        assertThat(exploded.status()).isEqualTo(500);
        assertOpenAiError(exploded.json(), "server_error", "request_failed", null);
        assertThat(exploded.header("x-should-retry")).isEqualTo("false");

        // OpenAI's clients send unset optional parameters as null: an unknown one is ignored then, refused otherwise
        Http.Reply nulls = post(http, "/v1/chat/completions", "{\"model\": \"mmgp-understand\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
                + "\"tools\": null, \"logit_bias\": null}");
        assertThat(nulls.status()).as(nulls.body()).isEqualTo(200);

        Http.Reply unknown = post(http, "/v1/chat/completions", "{\"model\": \"mmgp-understand\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"tools\": []}");
        assertThat(unknown.status()).isEqualTo(400);
        assertOpenAiError(unknown.json(), "invalid_request_error", "invalid_request", "tools");

        Http.Reply notJson = post(http, "/v1/chat/completions", "{\"model\": ");
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.json().get("error").get("type").asText()).isEqualTo("invalid_request_error");

        String twoImages = fixture("chat_image.json").replace("{\"type\": \"text\", \"text\": \"What is in this image?\"}",
                Http.JSON.readTree(fixture("chat_image.json")).at("/messages/0/content/1").toString());
        Http.Reply two = post(http, "/v1/chat/completions", twoImages);
        assertThat(two.status()).as(two.body()).isEqualTo(400);
        assertOpenAiError(two.json(), "invalid_request_error", "invalid_request", "messages[0].content[1]");

        Http.Reply route = http.get("/v1/embeddings");
        assertThat(route.status()).isIn(404, 405);
        assertThat(route.json().get("error").has("type")).isTrue();

        // the native routes keep their own shape
        Http.Reply nativeError = http.postJson("/api/generate/image", "{}");
        assertThat(nativeError.json().get("error").has("field")).isTrue();
        assertThat(nativeError.json().get("error").has("type")).isFalse();
    }

    @Test
    void v1SubmissionsShareTheKeysRateLimit() throws Exception {
        server.close();
        server = TestServers.start(TestServers.config(dir.resolve("data2")).withRateLimit(2), models, 8);
        http = TestServers.client(server);
        String body = "{\"prompt\": \"x\", \"steps\": 1, \"size\": \"16x16\"}";
        assertThat(post(http, "/v1/images/generations", body).status()).isEqualTo(200);
        assertThat(http.postJson("/api/generate/image", body.replace(", \"size\": \"16x16\"", "")).status()).isEqualTo(202);
        Http.Reply limited = post(http, "/v1/images/generations", body);
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.header("Retry-After")).isNotNull();
        assertThat(limited.header("x-should-retry")).isNull(); // openai-python waits Retry-After and tries again
        assertOpenAiError(limited.json(), "requests", "rate_limit_exceeded", null);
        assertThat(http.get("/v1/models").status()).isEqualTo(200); // reading is not limited
    }

    @Test
    void nImagesTakeNTokensOfTheRateLimit() throws Exception {
        server.close();
        server = TestServers.start(TestServers.config(dir.resolve("data2")).withRateLimit(3), models, 8);
        http = TestServers.client(server);
        // 3 tokens: the request takes one, its 4 images need 3 more
        Http.Reply four = post(http, "/v1/images/generations", "{\"prompt\": \"x\", \"steps\": 1, \"size\": \"16x16\", \"n\": 4}");
        assertThat(four.status()).as(four.body()).isEqualTo(429);
        assertOpenAiError(four.json(), "requests", "rate_limit_exceeded", null);
        // 2 tokens left: 2 images fit, and nothing of the refused request ran
        Http.Reply two = post(http, "/v1/images/generations", "{\"prompt\": \"x\", \"steps\": 1, \"size\": \"16x16\", \"n\": 2}");
        assertThat(two.status()).as(two.body()).isEqualTo(200);
        assertThat(imagesDone(server)).isEqualTo(2);
        assertThat(post(http, "/v1/images/generations", "{\"prompt\": \"x\", \"steps\": 1, \"size\": \"16x16\"}").status()).isEqualTo(429);
    }

    /** How many image jobs have ended well (the engine's count, whichever route submitted them). */
    static long imagesDone(ApiServer server) {
        return server.metrics().scrape().lines().filter(l -> l.startsWith("mmgp_requests_total{") && l.contains("outcome=\"done\"") && l.contains("task=\"image\""))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void videosGenerateTurnsSecondsIntoTheModelsFrameCountAndStartsFromADataUriImage() throws Exception {
        Http.Reply r = post(http, "/v1/videos/generations", fixture("videos_generate.json"));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode data = r.json().get("data");
        assertThat(data).hasSize(1);
        byte[] mp4 = Base64.getDecoder().decode(data.get(0).get("b64_json").asText());
        assertThat(new String(mp4, 4, 4, StandardCharsets.US_ASCII)).isEqualTo("ftyp");

        ObjectNode urlBody = (ObjectNode) Http.JSON.readTree(fixture("videos_generate.json"));
        urlBody.put("response_format", "url").remove("image");
        Http.Reply u = post(http, "/v1/videos/generations", urlBody.toString());
        assertThat(u.status()).as(u.body()).isEqualTo(200);
        String path = u.json().get("data").get(0).get("url").asText().substring(server.url().length());
        JsonNode job = http.get(path.substring(0, path.indexOf("/result/"))).json();
        assertThat(job.get("result").get("frames").asInt()).isEqualTo(9); // 1 s at 8 fps: the nearest 8·n+1
        assertThat(job.get("result").get("frame_rate").asDouble()).isEqualTo(8.0);

        assertThat(OpenAiRoutes.framesFor(2, 24)).isEqualTo(49);
        assertThat(OpenAiRoutes.framesFor(0.01f, 24)).isEqualTo(1);

        // a frame count made from seconds is named as the caller sent it
        Http.Reply tooLong = post(http, "/v1/videos/generations", "{\"prompt\": \"waves\", \"seconds\": 600, \"fps\": 24}");
        assertThat(tooLong.status()).as(tooLong.body()).isEqualTo(400);
        assertOpenAiError(tooLong.json(), "invalid_request_error", "invalid_request", "seconds");
        Http.Reply tooMany = post(http, "/v1/videos/generations", "{\"prompt\": \"waves\", \"frames\": 14401}");
        assertOpenAiError(tooMany.json(), "invalid_request_error", "invalid_request", "frames");

        // the decode settings extension: a value in 0..1 is taken, one outside is named as sent
        Http.Reply decode = post(http, "/v1/videos/generations", "{\"prompt\": \"waves\", \"frames\": 9, \"size\": \"32x32\", \"steps\": 1, "
                + "\"decode_timestep\": 0.1, \"decode_noise_scale\": null}");
        assertThat(decode.status()).as(decode.body()).isEqualTo(200);
        Http.Reply badDecode = post(http, "/v1/videos/generations", "{\"prompt\": \"waves\", \"decode_noise_scale\": 4}");
        assertThat(badDecode.status()).as(badDecode.body()).isEqualTo(400);
        assertOpenAiError(badDecode.json(), "invalid_request_error", "invalid_request", "decode_noise_scale");

        urlBody.put("image", "https://example.com/first.png");
        Http.Reply remote = post(http, "/v1/videos/generations", urlBody.toString());
        assertThat(remote.status()).isEqualTo(400);
        assertOpenAiError(remote.json(), "invalid_request_error", "invalid_request", "image");
    }

    @Test
    void jobsOutlastingTheWaitAreCancelledWith504AndNotRetried() throws Exception {
        Duration before = OpenAiRoutes.maxWait;
        OpenAiRoutes.maxWait = Duration.ofSeconds(1);
        try {
            models.image.hold = new CountDownLatch(1);
            Http.Reply late = post(http, "/v1/images/generations", "{\"prompt\": \"x\", \"size\": \"16x16\", \"n\": 2}");
            assertThat(late.status()).as(late.body()).isEqualTo(504);
            assertOpenAiError(late.json(), "server_error", "timeout", null);
            assertThat(late.header("x-should-retry")).isEqualTo("false");
            List<String> ids = uuids(late.json().get("error").get("message").asText());
            assertThat(ids).hasSize(2);
            for (String id : ids) assertThat(http.awaitEnd(id, Duration.ofSeconds(20)).get("status").asText()).isEqualTo("cancelled");

            models.understand.hold = new CountDownLatch(1);
            List<String> data = stream(fixture("chat_image_stream.json"));
            assertThat(data.getLast()).isEqualTo("[DONE]");
            JsonNode error = Http.JSON.readTree(data.get(data.size() - 2));
            assertOpenAiError(error, "server_error", "timeout", null);
            String id = Http.JSON.readTree(data.getFirst()).get("id").asText().substring("chatcmpl-".length());
            assertThat(http.awaitEnd(id, Duration.ofSeconds(20)).get("status").asText()).isEqualTo("cancelled");
        } finally {
            OpenAiRoutes.maxWait = before;
        }
    }

    @Test
    void aStreamSendsKeepAlivesAndAClientThatLeavesCancelsItsJob() throws Exception {
        Duration before = OpenAiRoutes.keepAlive;
        OpenAiRoutes.keepAlive = Duration.ofMillis(100);
        models.understand.hold = new CountDownLatch(1); // the job stays running: the stream has nothing to say
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(20_000);
            byte[] body = fixture("chat_image_stream.json").getBytes(StandardCharsets.UTF_8);
            String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TestServers.KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body);
            socket.getOutputStream().flush();
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String id = null;
            int keepAlives = 0;
            for (String line; keepAlives < 2 && (line = in.readLine()) != null; ) {
                if (id == null && line.startsWith("data: {")) id = Http.JSON.readTree(line.substring(6)).get("id").asText().substring("chatcmpl-".length());
                if (line.equals(": keep-alive")) keepAlives++;
            }
            assertThat(keepAlives).isEqualTo(2);
            assertThat(id).isNotNull();
            socket.close(); // the client goes away mid-stream
            assertThat(http.awaitEnd(id, Duration.ofSeconds(20)).get("status").asText()).isEqualTo("cancelled");
        } finally {
            OpenAiRoutes.keepAlive = before;
        }
    }

    @Test
    void inlineMediaAboveTheirLimitAre413() throws Exception {
        // a PNG signature and then enough bytes to pass the limit by one: decoded it would be a (bad) image of 32 MiB + 1
        byte[] big = new byte[(int) OpenAiRoutes.DEFAULT_MAX_INLINE_MEDIA_BYTES + 1];
        System.arraycopy(PNG_SIGNATURE, 0, big, 0, PNG_SIGNATURE.length);
        String body = "{\"model\": \"mmgp-understand\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\", "
                + "\"image_url\": {\"url\": \"data:image/png;base64," + Base64.getEncoder().encodeToString(big) + "\"}}]}]}";
        big = null;
        Http.Reply r = post(http, "/v1/chat/completions", body);
        assertThat(r.status()).as(r.body()).isEqualTo(413);
        assertOpenAiError(r.json(), "invalid_request_error", "payload_too_large", "messages[0].content[0].image_url.url");
    }

    private static List<String> uuids(String text) {
        List<String> out = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").matcher(text);
        while (m.find()) out.add(m.group());
        return out;
    }

    /** A unix time in seconds, within a day of now (not milliseconds, not 0). */
    static void assertUnixSeconds(JsonNode created) {
        assertThat(created.isIntegralNumber()).as("created " + created).isTrue();
        long now = System.currentTimeMillis() / 1000;
        assertThat(created.asLong()).isBetween(now - 86_400, now + 86_400);
    }

    static void assertOpenAiError(JsonNode body, String type, String code, String param) {
        JsonNode e = body.get("error");
        assertThat(e).as(body.toString()).isNotNull();
        assertThat(e.fieldNames()).toIterable().containsExactly("message", "type", "param", "code");
        assertThat(e.get("message").asText()).isNotBlank();
        assertThat(e.get("type").asText()).isEqualTo(type);
        assertThat(e.get("code").asText()).isEqualTo(code);
        if (param == null) assertThat(e.get("param").isNull()).isTrue();
        else assertThat(e.get("param").asText()).isEqualTo(param);
    }

    private List<String> stream(String body) throws Exception {
        return stream(body, d -> { });
    }

    /** The "data:" payloads of a streamed chat completion, in order. */
    private List<String> stream(String body, java.util.function.Consumer<String> onData) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<java.util.stream.Stream<String>> r = client.send(http.request("/v1/chat/completions").timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        List<String> data = new ArrayList<>();
        for (String line : (Iterable<String>) r.body()::iterator) {
            assertThat(line).satisfiesAnyOf(l -> assertThat(l).isEmpty(), l -> assertThat(l).startsWith("data: "), l -> assertThat(l).isEqualTo(": keep-alive"));
            if (line.startsWith("data: ")) {
                data.add(line.substring(6));
                onData.accept(line.substring(6));
            }
        }
        return data;
    }
}
