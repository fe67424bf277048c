package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import mmgp.media.VideoWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 19: uploads that are not videos are refused before the 202, without the server's paths. */
class UploadProbeTest {
    @TempDir
    Path dir;

    @Test
    void aRealVideoPassesAndRandomBytesAPngAndATruncatedMp4AreRefused() throws Exception {
        Path good = mp4(dir.resolve("good.mp4"));
        UploadProbe.FFMPEG.requireVideo(good, "file");
        for (Path bad : badFiles()) {
            assertThatThrownBy(() -> UploadProbe.FFMPEG.requireVideo(bad, "file")).as(bad.getFileName().toString())
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.status()).isEqualTo(400);
                        assertThat(e.field()).isEqualTo("file");
                        assertThat(e.getMessage()).startsWith("the uploaded file").doesNotContain(dir.toString());
                    });
        }
    }

    @Test
    void theServerRefusesBadUploadsBefore202WithoutItsPaths() throws Exception {
        FakeModels models = new FakeModels(dir);
        Path data = dir.resolve("data");
        try (ApiServer server = ApiServer.start(TestServers.config(data), models.builder(8))) {
            Http http = TestServers.client(server);
            for (Path bad : badFiles()) {
                Http.Reply understand = http.postMultipart("/api/understand/video", new LinkedHashMap<>(Map.of("file", Files.readAllBytes(bad), "prompt", "what?")));
                assertThat(understand.status()).as(bad + ": " + understand.body()).isEqualTo(400);
                assertThat(understand.errorField()).isEqualTo("file");
                assertThat(understand.body()).doesNotContain(data.toString()).doesNotContain(dir.toString());
                Http.Reply pipeline = http.postMultipart("/api/pipeline/full", Map.of("video", Files.readAllBytes(bad)));
                assertThat(pipeline.status()).as(bad + ": " + pipeline.body()).isEqualTo(400);
                assertThat(pipeline.errorField()).isEqualTo("video");
            }
            try (var jobs = Files.list(data.resolve("jobs"))) {
                assertThat(jobs.toList()).as("refused uploads leave no folder").isEmpty();
            }
            Http.Reply ok = http.postMultipart("/api/understand/video", new LinkedHashMap<>(Map.of("file", Files.readAllBytes(mp4(dir.resolve("ok.mp4"))),
                    "prompt", "what?", "max_new_tokens", "2")));
            assertThat(ok.status()).as(ok.body()).isEqualTo(202);
        }
    }

    @Test
    void failureTextsLoseTheServersPaths() {
        Path data = dir.resolve("data").toAbsolutePath();
        PathScrubber s = new PathScrubber(data);
        String id = java.util.UUID.randomUUID().toString();
        assertThat(s.scrub(data.resolve("jobs").resolve(id).resolve("input.mp4") + " is not a video FFmpeg can open"))
                .isEqualTo("input.mp4 is not a video FFmpeg can open");
        assertThat(s.scrub("cannot write " + data.resolve("tmp/x.bin") + ": disk full")).isEqualTo("cannot write …: disk full");
        assertThat(s.scrub("width: must be a multiple of 32")).isEqualTo("width: must be a multiple of 32");
    }

    @Test
    void aJobThatFailsOnItsInputReportsTheFileWithoutTheServersPaths() throws Exception {
        FakeModels models = new FakeModels(dir);
        Path data = dir.resolve("data").toAbsolutePath();
        String temp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().resolve("mmgp-smolvlm-123/text.gguf").toString();
        // what a decoder or loader says when it fails: the job's own file and a scratch file, by absolute path
        models.understand.failure = data.resolve("jobs").resolve(java.util.UUID.randomUUID().toString()).resolve("input.mp4")
                + ": moov atom not found (scratch " + temp + ")";
        try (ApiServer server = TestServers.start(TestServers.config(data), models, 8)) {
            Http http = TestServers.client(server);
            Http.Reply r = http.postMultipart("/api/understand/video", new LinkedHashMap<>(Map.of("file", new byte[] {1, 2, 3}, "prompt", "what?")));
            assertThat(r.status()).as(r.body()).isEqualTo(202);
            var end = http.awaitEnd(r.json().get("request_id").asText(), java.time.Duration.ofSeconds(20));
            assertThat(end.get("status").asText()).as(end.toString()).isEqualTo("failed");
            assertThat(end.get("error").asText()).startsWith("input.mp4: moov atom not found").contains("(scratch …)")
                    .doesNotContain(data.toString()).doesNotContain(temp);
        }
    }

    private Path[] badFiles() throws Exception {
        byte[] noise = new byte[4096];
        new Random(7).nextBytes(noise);
        Path random = Files.write(dir.resolve("random.mp4"), noise);
        Path png = dir.resolve("picture.mp4");
        ImageIO.write(new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB), "png", png.toFile());
        byte[] whole = Files.readAllBytes(mp4(dir.resolve("whole.mp4")));
        Path truncated = Files.write(dir.resolve("truncated.mp4"), java.util.Arrays.copyOf(whole, whole.length / 2));
        return new Path[] {random, png, truncated};
    }

    private static Path mp4(Path file) throws Exception {
        int frames = 9, h = 32, w = 32;
        float[] rgb = new float[frames * h * w * 3];
        for (int i = 0; i < rgb.length; i++) rgb[i] = (i % 97) / 97f;
        VideoWriter.writeMp4(file, rgb, frames, h, w, 8);
        return file;
    }
}
