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
}
