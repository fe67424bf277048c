package mmgp.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import mmgp.bindings.NativeLibraries;
import mmgp.cli.Main;
import org.junit.jupiter.api.Test;

/** `mmgp check` judges the exact routes by the goldens' tolerances and the fast routes by relative RMS, printing it for every output. */
class CheckCommandTest {
    private static final String FIXTURE = "src/test/resources/fixtures/amused";

    @Test
    void exactAndFastNumericsBothPassTheAmusedFixtureAndPrintTheirErrors() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        Run exact = run("check", FIXTURE, "--case", "vqvae_decode,transformer");
        assertThat(exact.exit).as(exact.out).isZero();
        assertThat(exact.out).contains("PASS vqvae_decode").contains("rel RMS").doesNotContain("numerics fast");

        Run fast = run("check", FIXTURE, "--case", "vqvae_decode,transformer", "--numerics", "fast");
        assertThat(fast.exit).as(fast.out).isZero();
        assertThat(fast.out).contains("numerics fast").contains("PASS vqvae_decode").contains("2 passed, 0 failed");
        // The fast decoder rounds its convolution patches to F16: an error that shows, within the bound.
        assertThat(relRms(fast.out, "sample")).isBetween(1e-6, 1e-2);
        assertThat(relRms(exact.out, "sample")).isLessThan(1e-5);

        Run tight = run("check", FIXTURE, "--case", "vqvae_decode", "--numerics", "fast", "--fast-bound", "1e-9");
        assertThat(tight.exit).as(tight.out).isEqualTo(1);
        assertThat(tight.out).contains("FAIL vqvae_decode");
    }

    @Test
    void anUnknownNumericsValueIsRefusedNamingTheChoices() {
        Run bad = run("check", FIXTURE, "--numerics", "turbo");
        assertThat(bad.exit).isNotZero();
        assertThat(bad.out).contains("numerics must be exact or fast");
    }

    @Test
    void aFolderOfFixturesRunsEachOneAndSkipsThoseWithoutTheCase() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        // The test resources hold all five fixture folders; scheduler_tables exists in aMUSEd and both LTX ones.
        Run all = run("check", "src/test/resources/fixtures", "--case", "scheduler_tables");
        assertThat(all.exit).as(all.out).isZero();
        assertThat(all.out).contains("model amused").contains("model ltx_video_095").contains("model smolvlm2")
                .contains("no case matched [scheduler_tables]; skipped").contains("PASS: 5 fixture folders, 0 failed");
        Run typo = run("check", "src/test/resources/fixtures", "--case", "vae_decod_tiled");
        assertThat(typo.exit).isNotZero();
        assertThat(typo.out).contains("no case matched [vae_decod_tiled] in any fixture folder");
        Run none = run("check", "src/test");
        assertThat(none.exit).isNotZero();
        assertThat(none.out).contains("is not a fixture folder (no golden/cases.json) and holds none");
    }

    private record Run(int exit, String out) {}

    private static Run run(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        System.setErr(capture);
        try {
            int exit = Main.run(args);
            return new Run(exit, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private static double relRms(String out, String output) {
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 2 && f[1].equals(output)) {
                for (int i = 0; i < f.length - 2; i++) if (f[i].equals("rel") && f[i + 1].equals("RMS")) return Double.parseDouble(f[i + 2]);
            }
        }
        throw new AssertionError("no rel RMS for " + output + " in\n" + out);
    }
}
