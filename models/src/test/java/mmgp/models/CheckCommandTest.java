package mmgp.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import mmgp.bindings.NativeLibraries;
import org.junit.jupiter.api.Test;

/** `mmgp check` judges the exact routes by the goldens' tolerances and the fast routes by relative RMS, printing it for every output. */
class CheckCommandTest {
    private static final String FIXTURE = "src/test/resources/fixtures/amused";

    @Test
    void exactAndFastNumericsBothPassTheAmusedFixtureAndPrintTheirErrors() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        CliRun exact = CliRun.of("check", FIXTURE, "--case", "vqvae_decode,transformer");
        assertThat(exact.code()).as(exact.all()).isZero();
        assertThat(exact.all()).contains("PASS vqvae_decode").contains("rel RMS").doesNotContain("numerics fast");

        CliRun fast = CliRun.of("check", FIXTURE, "--case", "vqvae_decode,transformer", "--numerics", "fast");
        assertThat(fast.code()).as(fast.all()).isZero();
        assertThat(fast.all()).contains("numerics fast").contains("PASS vqvae_decode").contains("2 passed, 0 failed");
        // The fast decoder rounds its convolution patches to F16: an error that shows, within the bound.
        assertThat(relRms(fast.all(), "sample")).isBetween(1e-6, 1e-2);
        assertThat(relRms(exact.all(), "sample")).isLessThan(1e-5);

        CliRun tight = CliRun.of("check", FIXTURE, "--case", "vqvae_decode", "--numerics", "fast", "--fast-bound", "1e-9");
        assertThat(tight.code()).as(tight.all()).isEqualTo(1);
        assertThat(tight.all()).contains("FAIL vqvae_decode");
    }

    @Test
    void anUnknownNumericsValueIsRefusedNamingTheChoices() {
        CliRun bad = CliRun.of("check", FIXTURE, "--numerics", "turbo");
        assertThat(bad.code()).isNotZero();
        assertThat(bad.all()).contains("numerics must be exact or fast");
    }

    @Test
    void aFolderOfFixturesRunsEachOneAndSkipsThoseWithoutTheCase() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        // The test resources hold all five fixture folders; scheduler_tables exists in aMUSEd and both LTX ones.
        CliRun all = CliRun.of("check", "src/test/resources/fixtures", "--case", "scheduler_tables");
        assertThat(all.code()).as(all.all()).isZero();
        assertThat(all.all()).contains("model amused").contains("model ltx_video_095").contains("model smolvlm2")
                .contains("no case matched [scheduler_tables]; skipped").contains("PASS: 5 fixture folders, 0 failed");
        CliRun typo = CliRun.of("check", "src/test/resources/fixtures", "--case", "vae_decod_tiled");
        assertThat(typo.code()).isNotZero();
        assertThat(typo.all()).contains("no case matched [vae_decod_tiled] in any fixture folder");
        CliRun none = CliRun.of("check", "src/test");
        assertThat(none.code()).isNotZero();
        assertThat(none.all()).contains("is not a fixture folder (no golden/cases.json) and holds none");
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
