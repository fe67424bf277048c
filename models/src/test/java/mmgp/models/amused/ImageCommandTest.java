package mmgp.models.amused;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import mmgp.bindings.NativeLibraries;
import mmgp.models.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mmgp image} from the command line on the tiny aMUSEd fixture. */
class ImageCommandTest {
    static final Path CHECKPOINT = Path.of("src/test/resources/fixtures/amused/checkpoint");

    @Test
    void writesTheFormatTheExtensionNamesAndSaysTheSeedAndSizeInPlainProgress(@TempDir Path tmp) throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        Path jpg = tmp.resolve("cat.jpg");
        CliRun r = CliRun.of("image", "--model", CHECKPOINT.toString(), "-p", "a cat", "--steps", "2", "--seed", "7", "-o", jpg.toString(), "--progress", "plain");
        assertThat(r.code()).as(r.err()).isZero();
        byte[] bytes = Files.readAllBytes(jpg);
        assertThat(bytes[0] & 0xff).isEqualTo(0xFF); // JPEG SOI, not PNG bytes under a .jpg name
        assertThat(bytes[1] & 0xff).isEqualTo(0xD8);
        var img = ImageIO.read(jpg.toFile());
        assertThat(img.getWidth()).isPositive();
        assertThat(r.err()).contains("seed 7").contains(img.getWidth() + "×" + img.getHeight()).contains("2/2").doesNotContain("\r");
        assertThat(r.out()).contains("wrote " + jpg);
        String e = r.err();
        for (String stage : new String[] {"load    ", "encode  ", "decode  "}) {
            assertThat(e).contains(stage + " started").contains(stage + " done in");
            assertThat(e.indexOf(stage + " started")).as(stage).isLessThan(e.indexOf(stage + " done in"));
        }
    }

    @Test
    void refusesAnUnwritableOrUnknownOutputBeforeLoadingTheModel(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("not-a-folder"), "x");
        CliRun bad = CliRun.of("image", "--model", tmp.resolve("no-such-model.gguf").toString(), "-p", "a cat", "-o", file.resolve("x.png").toString());
        assertThat(bad.code()).isNotZero();
        // The output is checked first: the missing model is not what it complains about.
        assertThat(bad.err()).contains("cannot write image files into").doesNotContain("Exception");
        CliRun gif = CliRun.of("image", "--model", CHECKPOINT.toString(), "-p", "a cat", "-o", tmp.resolve("x.gif").toString());
        assertThat(gif.err()).contains("cannot write the image as .gif").contains("png, jpg, jpeg, bmp");
    }

    @Test
    void refusedValuesNameTheirFlagsNotTheApiFields(@TempDir Path tmp) {
        CliRun steps = CliRun.of("image", "--model", CHECKPOINT.toString(), "-p", "a cat", "--steps", "0", "-o", tmp.resolve("x.png").toString());
        assertThat(steps.code()).isNotZero();
        assertThat(steps.err()).contains("--steps must be in [1, 1000], got 0").doesNotContain("steps:");
        CliRun guidance = CliRun.of("image", "--model", CHECKPOINT.toString(), "-p", "a cat", "--guidance", "-1", "-o", tmp.resolve("x.png").toString());
        assertThat(guidance.err()).contains("--guidance must be in [0, 100], got -1").doesNotContain("guidance_scale");
    }

    @Test
    void aPromptLongerThanTheTextEncoderReadsIsWarnedAbout(@TempDir Path tmp) {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        String longPrompt = "a red fox in the snow under the trees ".repeat(30);
        CliRun r = CliRun.of("image", "--model", CHECKPOINT.toString(), "-p", longPrompt, "--steps", "1", "-o", tmp.resolve("x.png").toString(), "--progress", "plain");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).containsPattern("warning: prompt 1 is \\d+ tokens; the text encoder reads only the first \\d+");
        CliRun shortOne = CliRun.of("image", "--model", CHECKPOINT.toString(), "-p", "a fox", "--steps", "1", "-o", tmp.resolve("y.png").toString(), "--progress", "plain");
        assertThat(shortOne.err()).doesNotContain("warning: prompt");
    }
}
