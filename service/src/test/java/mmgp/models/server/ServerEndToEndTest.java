package mmgp.models.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import javax.imageio.ImageIO;
import mmgp.api.Task;
import mmgp.engine.Engine;
import mmgp.media.VideoReader;
import mmgp.models.QuietLlama;
import mmgp.models.smolvlm.SampleClip;
import mmgp.server.ApiServer;
import mmgp.server.ServerConfig;
import mmgp.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP server over the real engine and the three tiny fixture models: upload a video, get caption, PNG and MP4. */
class ServerEndToEndTest {
    static final Path FIXTURES = Fixtures.root();
    static final String KEY = "e2e-key-0123456789";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void fullPipelineOverHttpWithTheTinyModels() throws Exception {
        QuietLlama.require();
        Engine.Builder engine = Engine.builder()
                .model(Task.UNDERSTAND, FIXTURES.resolve("smolvlm2_processor/checkpoint"))
                .model(Task.IMAGE, FIXTURES.resolve("amused/checkpoint"))
                .model(Task.VIDEO, FIXTURES.resolve("ltx_video/checkpoint"))
                .threads(2).maxWait(Duration.ofMillis(50));
        ServerConfig config = ServerConfig.localNoAuth(dir.resolve("data")).withApiKeys(List.of(KEY));
        try (ApiServer server = ApiServer.start(config, engine)) {
            String base = server.url();
            Path clip = SampleClip.write(dir.resolve("clip.mp4"));
            String options = "{\"caption\": {\"max_new_tokens\": 8}, \"image\": {\"steps\": 2},"
                    + " \"video\": {\"frames\": 9, \"width\": 64, \"height\": 32, \"steps\": 2}}";
            HttpResponse<String> accepted = http.send(multipart(base + "/api/pipeline/full", Files.readAllBytes(clip), options),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            String id = JSON.readTree(accepted.body()).get("request_id").asText();

            JsonNode end = awaitEnd(base, id, Duration.ofMinutes(5));
            assertThat(end.get("status").asText()).as(end.toString()).isEqualTo("done");
            assertThat(end.get("caption").asText()).isNotBlank();
            assertThat(end.path("result").path("caption").path("frames_used").asInt()).isEqualTo(3);

            byte[] png = download(base, id, "image.png");
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
            assertThat(image.getWidth()).isEqualTo(end.path("result").path("image").path("width").asInt());
            Path mp4 = Files.write(dir.resolve("out.mp4"), download(base, id, "video.mp4"));
            try (VideoReader reader = VideoReader.open(mp4)) {
                assertThat(reader.width()).isEqualTo(64);
                assertThat(reader.height()).isEqualTo(32);
                assertThat(reader.frameCount()).isEqualTo(9);
            }
            assertThat(new String(download(base, id, "caption.txt"), StandardCharsets.UTF_8)).isEqualTo(end.get("caption").asText());

            String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("mmgp_requests_total{outcome=\"done\",task=\"pipeline\",variant=\"default\"} 1.0");
            assertThat(metrics).contains("mmgp_tokens_per_second_count 1");
        }
    }

    private HttpRequest multipart(String url, byte[] video, String options) {
        String boundary = "----e2e" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"video\"; filename=\"clip.mp4\"\r\nContent-Type: video/mp4\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(video);
        body.writeBytes(("\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"options\"\r\n\r\n" + options + "\r\n--" + boundary + "--\r\n")
                .getBytes(StandardCharsets.UTF_8));
        return HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + KEY).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build();
    }

    private JsonNode awaitEnd(String base, String id, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/requests/" + id)).header("Authorization", "Bearer " + KEY).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode n = JSON.readTree(r.body());
            if (List.of("done", "failed", "cancelled").contains(n.path("status").asText())) return n;
            Thread.sleep(200);
        }
        throw new AssertionError("request " + id + " did not end within " + timeout);
    }

    private byte[] download(String base, String id, String name) throws Exception {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/requests/" + id + "/result/" + name))
                .header("Authorization", "Bearer " + KEY).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as(name).isEqualTo(200);
        return r.body();
    }
}
