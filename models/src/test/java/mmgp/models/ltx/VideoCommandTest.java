package mmgp.models.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import mmgp.bindings.NativeLibraries;
import mmgp.cli.Main;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mmgp video --image}: a first frame from a file, on the tiny 0.9.5 fixture; and its refusals. */
class VideoCommandTest {
    static final Path CHECKPOINT = Path.of("src/test/resources/fixtures/ltx_video_095/checkpoint").toAbsolutePath();

    @TempDir
    Path tmp;

    @BeforeAll
    static void libs() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
    }

    /** Runs the CLI; returns exit code and stderr. */
    private record Run(int exit, String err) {}

    private Run run(String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int exit = Main.run(args);
            return new Run(exit, err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(saved);
        }
    }

    private Path png(String name, int w, int h) throws Exception {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) image.setRGB(x, y, (x * 255 / w) << 16 | (y * 255 / h) << 8 | 90);
        Path file = tmp.resolve(name);
        ImageIO.write(image, "png", file.toFile());
        return file;
    }

    private String[] video(String... extra) {
        String[] base = {"video", "--model", CHECKPOINT.toString(), "-p", "a red car", "--frames", "9", "--width", "64", "--height", "64",
                "--steps", "2", "--max-sequence-length", "16", "-q", "-o", tmp.resolve("out.mp4").toString()};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void anImageOfAnotherSizeStartsTheVideo() throws Exception {
        Run r = run(video("--image", png("first.png", 48, 40).toString()));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(Files.size(tmp.resolve("out.mp4"))).isPositive();
    }

    @Test
    void unreadableImagesAndWrongCountsAreClearErrors() throws Exception {
        Path notAnImage = Files.writeString(tmp.resolve("notes.png"), "not a picture");
        Run bad = run(video("--image", notAnImage.toString()));
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("cannot read image", "notes.png");

        Run missing = run(video("--image", tmp.resolve("nowhere.png").toString()));
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("image file not found", "nowhere.png");

        Path a = png("a.png", 64, 64);
        Run count = run(video("-p", "waves", "-p", "a boat", "--image", a.toString(), "--image", a.toString()));
        assertThat(count.exit()).isEqualTo(1);
        assertThat(count.err()).contains("2 --image for 3 --prompt");

        Run decode = run(video("--decode-timestep", "0.05,0.1"));
        assertThat(decode.exit()).isEqualTo(1);
        assertThat(decode.err()).contains("2 decode timesteps for 1 prompts");
        assertThat(Files.exists(tmp.resolve("out.mp4"))).isFalse();
    }

    @Test
    void aSmallVaeMemoryBudgetDecodesInTilesShownAsProgressAndTheExtensionPicksTheFormat() throws Exception {
        long whole;
        // Planned on the routes the verb runs (its default numerics, fast), whose fused ops plan less than exact's.
        try (var backend = mmgp.graph.ComputeBackend.cpu(2, mmgp.graph.Numerics.FAST); LtxModel m = LtxModel.open(CHECKPOINT, backend)) {
            whole = m.vae().plannedComputeBytes(backend, 1, 3, 3, 4); // 17 frames of 96×128
        }
        Path gif = tmp.resolve("clip.gif");
        String[] args = {"video", "--model", CHECKPOINT.toString(), "-p", "a red car", "--frames", "17", "--width", "128", "--height", "96",
                "--steps", "1", "--max-sequence-length", "16", "--progress", "plain", "--vae-memory", String.valueOf(whole * 3 / 4), "-o", gif.toString()};
        Run r = run(args);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("1 video 17 frames 128×96").containsPattern("decode +\\[[# ]+\\] 1/([2-9]|[1-9][0-9]+)  ");
        assertThat(new String(Files.readAllBytes(gif), 0, 6, StandardCharsets.US_ASCII)).isEqualTo("GIF89a");

        Run whole1 = run(new String[] {"video", "--model", CHECKPOINT.toString(), "-p", "a red car", "--frames", "17", "--width", "128", "--height", "96",
                "--steps", "1", "--max-sequence-length", "16", "--progress", "plain", "-o", tmp.resolve("whole.mp4").toString()});
        assertThat(whole1.exit()).as(whole1.err()).isZero();
        assertThat(whole1.err()).contains("decode   [########################] 1/1 ");
        // The stages with no steps of their own say when they start (plain mode: a line; a terminal: a ticking one).
        String e = whole1.err();
        for (String stage : new String[] {"load    ", "encode  ", "decode  "}) {
            assertThat(e).contains(stage + " started").contains(stage + " done in");
            assertThat(e.indexOf(stage + " started")).as(stage).isLessThan(e.indexOf(stage + " done in"));
        }
        assertThat(e.indexOf("decode   started")).isLessThan(e.indexOf("decode   [####"));
    }

    @Test
    void outputsAreCheckedBeforeTheModelLoads() {
        Run avi = run("video", "--model", CHECKPOINT.toString(), "-p", "a red car", "-o", tmp.resolve("clip.avi").toString());
        assertThat(avi.exit()).isEqualTo(1);
        assertThat(avi.err()).contains("cannot write the video as .avi").contains("mp4, webm, gif");
        Run size = run(video("--vae-memory", "lots"));
        assertThat(size.exit()).isNotZero();
        assertThat(size.err()).contains("'lots' is not a size");
    }

    /** Values the API refuses are named by their flags; --steps 0 is refused (the API's "model's steps" is leaving --steps out). */
    @Test
    void refusedValuesNameTheirFlags() {
        Run zero = run("video", "--model", CHECKPOINT.toString(), "-p", "a red car", "--steps", "0", "-q", "-o", tmp.resolve("out.mp4").toString());
        assertThat(zero.exit()).isEqualTo(1);
        assertThat(zero.err()).contains("--steps must be ≥ 1, got 0");
        Run fps = run(video("--fps", "500"));
        assertThat(fps.err()).contains("--fps must be in [1, 240], got 500").doesNotContain("frame_rate");
        Run tile = run(video("--tile", "5000"));
        assertThat(tile.err()).contains("--tile must be in [0, 1024], got 5000");
    }

    @Test
    void aPromptLongerThanT5ReadsIsWarnedAbout() {
        String longPrompt = "a red car drives along the coast road at sunset ".repeat(20);
        Run r = run("video", "--model", CHECKPOINT.toString(), "-p", longPrompt, "--frames", "9", "--width", "64", "--height", "64",
                "--steps", "1", "--max-sequence-length", "16", "--progress", "plain", "-o", tmp.resolve("long.mp4").toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).containsPattern("warning: prompt 1 is \\d+ tokens; T5 reads the first 16");
    }
}
