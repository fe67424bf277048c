package mmgp.models.amused;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import mmgp.bindings.NativeLibraries;
import mmgp.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mmgp image} from the command line on the tiny aMUSEd fixture. */
class ImageCommandTest {
    static final Path CHECKPOINT = Path.of("src/test/resources/fixtures/amused/checkpoint");

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void writesTheFormatTheExtensionNamesAndSaysTheSeedAndSizeInPlainProgress(@TempDir Path tmp) throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        Path jpg = tmp.resolve("cat.jpg");
        Run r = run("image", "--model", CHECKPOINT.toString(), "-p", "a cat", "--steps", "2", "--seed", "7", "-o", jpg.toString(), "--progress", "plain");
        assertThat(r.code()).as(r.err()).isZero();
        byte[] bytes = Files.readAllBytes(jpg);
        assertThat(bytes[0] & 0xff).isEqualTo(0xFF); // JPEG SOI, not PNG bytes under a .jpg name
        assertThat(bytes[1] & 0xff).isEqualTo(0xD8);
        var img = ImageIO.read(jpg.toFile());
        assertThat(img.getWidth()).isPositive();
        assertThat(r.err()).contains("seed 7").contains(img.getWidth() + "×" + img.getHeight()).contains("2/2").doesNotContain("\r");
        assertThat(r.out()).contains("wrote " + jpg);
    }

    @Test
    void refusesAnUnwritableOrUnknownOutputBeforeLoadingTheModel(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("not-a-folder"), "x");
        Run bad = run("image", "--model", tmp.resolve("no-such-model.gguf").toString(), "-p", "a cat", "-o", file.resolve("x.png").toString());
        assertThat(bad.code()).isNotZero();
        // The output is checked first: the missing model is not what it complains about.
        assertThat(bad.err()).contains("cannot write image files into").doesNotContain("Exception");
        Run gif = run("image", "--model", CHECKPOINT.toString(), "-p", "a cat", "-o", tmp.resolve("x.gif").toString());
        assertThat(gif.err()).contains("cannot write the image as .gif").contains("png, jpg, jpeg, bmp");
    }

    @Test
    void aPromptLongerThanTheTextEncoderReadsIsWarnedAbout(@TempDir Path tmp) {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        String longPrompt = "a red fox in the snow under the trees ".repeat(30);
        Run r = run("image", "--model", CHECKPOINT.toString(), "-p", longPrompt, "--steps", "1", "-o", tmp.resolve("x.png").toString(), "--progress", "plain");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).containsPattern("warning: prompt 1 is \\d+ tokens; the text encoder reads only the first \\d+");
        Run shortOne = run("image", "--model", CHECKPOINT.toString(), "-p", "a fox", "--steps", "1", "-o", tmp.resolve("y.png").toString(), "--progress", "plain");
        assertThat(shortOne.err()).doesNotContain("warning: prompt");
    }
}
