package mmgp.models;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import mmgp.models.smolvlm.SampleClip;
import mmgp.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mmgp pipeline VIDEO} on the tiny checkpoints given as explicit models, and its refusals. */
class PipelineCommandTest {
    @TempDir
    Path tmp;

    /** The tiny models with tiny sizes; {@code more} replaces an option's value (picocli takes each option once) or adds a flag. */
    private List<String> args(Path video, Path out, String... more) {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("-o", out.toString());
        options.put("--models", tmp.resolve("no-models").toString());
        options.put("--understand-model", Fixtures.checkpoint("smolvlm2_processor").toString());
        options.put("--image-model", Fixtures.checkpoint("amused").toString());
        options.put("--video-model", Fixtures.checkpoint("ltx_video").toString());
        options.put("--max-tokens", "4");
        options.put("--image-steps", "2");
        options.put("--video-frames", "9");
        options.put("--video-width", "64");
        options.put("--video-height", "32");
        options.put("--video-steps", "2");
        options.put("--threads", "2");
        List<String> flags = new ArrayList<>();
        for (int i = 0; i < more.length; i++) {
            if (i + 1 < more.length && !more[i + 1].matches("-[a-zA-Z-].*")) options.put(more[i], more[++i]);
            else flags.add(more[i]);
        }
        List<String> a = new ArrayList<>(List.of("pipeline", video.toString()));
        options.forEach((k, v) -> a.addAll(List.of(k, v)));
        a.addAll(flags);
        return a;
    }

    @Test
    void writesTheCaptionTheImageTheVideoAndTheSummary() throws Exception {
        QuietLlama.require();
        Path video = SampleClip.write(tmp.resolve("clip.mp4"));
        Path out = tmp.resolve("out");
        CliRun run = CliRun.of(args(video, out, "--seed", "7", "--fps", "12").toArray(String[]::new));
        assertThat(run.code()).as(run.all()).isZero();
        for (String f : new String[] {"caption.txt", "image.png", "video.mp4", "result.json"}) {
            assertThat(out.resolve(f)).as(f).isRegularFile();
            assertThat(Files.size(out.resolve(f))).as(f).isPositive();
        }
        JsonNode summary = new ObjectMapper().readTree(out.resolve("result.json").toFile());
        assertThat(summary.path("caption").path("text").asText().strip()).isEqualTo(Files.readString(out.resolve("caption.txt")).strip());
        assertThat(summary.path("caption").path("generated_tokens").asInt()).isBetween(1, 4);
        assertThat(summary.path("video").path("frames").asInt()).isEqualTo(9);
        assertThat(summary.path("video").path("width").asInt()).isEqualTo(64);
        assertThat(summary.path("video").path("height").asInt()).isEqualTo(32);
        assertThat(summary.path("video").path("frame_rate").asDouble()).isEqualTo(12.0);
        assertThat(summary.path("video").path("seed").asLong()).isEqualTo(7);
        assertThat(summary.path("image").path("seed").asLong()).isEqualTo(7);
        assertThat(summary.has("failed_stage")).isFalse();
        assertThat(summary.path("timings").size()).isPositive();
        assertThat(run.out()).contains("[1/3]", "[2/3]", "[3/3]", "wrote " + out.resolve("video.mp4"));
    }

    @Test
    void quietPrintsTheResultsWithoutStageHeaders() throws Exception {
        QuietLlama.require();
        Path video = SampleClip.write(tmp.resolve("clip.mp4"));
        Path out = tmp.resolve("out");
        CliRun run = CliRun.of(args(video, out, "-q", "--no-video-from-image").toArray(String[]::new));
        assertThat(run.code()).as(run.all()).isZero();
        assertThat(run.out()).doesNotContain("[1/3]").contains(Files.readString(out.resolve("caption.txt")).strip());
        // native libraries may still warn on stderr; the stage bars must not draw
        assertThat(run.err()).doesNotContain("image").doesNotContain("video");
        assertThat(out.resolve("video.mp4")).isRegularFile();
    }

    @Test
    void aMissingModelIsASentenceNamingTheTaskAndThePull() throws Exception {
        Path video = Files.writeString(tmp.resolve("clip.mp4"), "never read: the model check comes first");
        CliRun run = CliRun.of("pipeline", video.toString(), "-o", tmp.resolve("out").toString(), "--models", tmp.resolve("no-models").toString(),
                "--understand-model", Fixtures.checkpoint("smolvlm2_processor").toString(), "--video-model", Fixtures.checkpoint("ltx_video").toString());
        assertThat(run.code()).isNotZero();
        assertThat(run.err()).contains("no image model installed in").contains("mmgp pull amused-256").contains("--image-model");
        assertThat(tmp.resolve("out")).doesNotExist();
    }

    @Test
    void aMissingVideoIsNamedBeforeAnyModel() {
        Path video = tmp.resolve("clip.mp4");
        CliRun run = CliRun.of(args(video, tmp.resolve("out"), "--video-model", tmp.resolve("nowhere.gguf").toString()).toArray(String[]::new));
        assertThat(run.code()).isNotZero();
        // the video is checked first: a missing input is named before any model
        assertThat(run.err()).contains("no video file at " + video);
    }

    @Test
    void refusedOptionsNameTheOption() throws Exception {
        Path video = Files.writeString(tmp.resolve("clip.mp4"), "x");
        Path out = tmp.resolve("out");
        assertRefused(args(video, out, "--video-frames", "10"), "--video-frames must be 8·n + 1");
        assertRefused(args(video, out, "--video-width", "0"), "--video-width must be in [1, 8192], got 0");
        assertRefused(args(video, out, "--image-guidance", "-1"), "--image-guidance must be in [0, 100]");
        assertRefused(args(video, out, "--image-steps", "0"), "--image-steps must be in [1, 1000]");
        assertRefused(args(video, out, "--video-steps", "0"), "--video-steps must be at least 1");
        assertRefused(args(video, out, "--max-tokens", "0"), "--max-tokens must be at least 1, got 0");
        assertRefused(args(video, out, "--fps", "0"), "--fps must be in [1, 240]");
        assertRefused(args(video, out, "--decode-timestep", "2"), "--decode-timestep must be in [0, 1]");
        assertRefused(args(video, out, "--caption-prompt", " "), "--caption-prompt must not be blank");
        assertRefused(args(video, out, "--video-model", tmp.resolve("nowhere.gguf").toString()), "no video model at " + tmp.resolve("nowhere.gguf") + " (--video-model)");
        List<String> encoderAlone = new ArrayList<>(List.of("pipeline", video.toString(), "--video-text-encoder", tmp.toString()));
        assertRefused(encoderAlone, "--video-text-encoder goes with a one-file --video-model");
        assertThat(out).doesNotExist();
    }

    private static void assertRefused(List<String> args, String sentence) {
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertThat(run.code()).as(String.join(" ", args)).isNotZero();
        assertThat(run.err()).as(String.join(" ", args)).contains("mmgp pipeline: " + sentence);
    }
}
