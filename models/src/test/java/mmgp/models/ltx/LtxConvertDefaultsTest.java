package mmgp.models.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import mmgp.bindings.NativeLibraries;
import mmgp.models.CliRun;
import mmgp.registry.ModelCatalog;
import mmgp.registry.ModelDefaults;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recommended settings a converted one-file LTX-Video checkpoint carries: those of a distilled
 * release's header config ({@code allowed_inference_steps}), else what {@code --defaults} says,
 * else none, and {@code convert} says which in one line.
 */
class LtxConvertDefaultsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FIXTURE = Path.of("src/test/resources/fixtures/ltx_video_095/checkpoint");
    /** What Lightricks' 0.9.8 distilled headers allow: the first pass's 7 timesteps and the second pass's last one. */
    private static final String LIGHTRICKS_ALLOWED = "[1.0, 0.9937, 0.9875, 0.9812, 0.975, 0.9094, 0.725, 0.4219]";

    @TempDir
    Path tmp;

    private Path singleFile(String allowed) throws Exception {
        ObjectNode extra = JSON.createObjectNode();
        if (allowed != null) extra.set("allowed_inference_steps", JSON.readTree(allowed));
        return LtxSingleFileTest.singleFileOf(FIXTURE, LtxSingleFile.VaeLayout.V095, tmp.resolve("ltxv-tiny.safetensors"), extra);
    }

    private CliRun convert(Path input, String... more) {
        String[] args = new String[] {"convert", "--model", "ltx", input.toString(), tmp.resolve("out.gguf").toString(),
                "--text-encoder", FIXTURE.toString(), "--type", "f32", "-q"};
        String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return CliRun.of(all);
    }

    @Test
    void aDistilledHeaderGivesTheDistilledDefaults() throws Exception {
        try (LtxSingleFile f = LtxSingleFile.open(singleFile(LIGHTRICKS_ALLOWED))) {
            assertThat(f.recommendedDefaults()).isEqualTo(ModelCatalog.DISTILLED_DEFAULTS);
        }
        assertThat(LtxDefaults.forModel(tmp.resolve("ltxv-tiny.safetensors"))).as("run directly").isEqualTo(ModelCatalog.DISTILLED_DEFAULTS);
        CliRun c = convert(tmp.resolve("ltxv-tiny.safetensors"));
        assertThat(c.code()).as(c.all()).isZero();
        assertThat(c.out()).contains("defaults: 7 timesteps [1000, 993, 987, 981, 975, 909, 725], guidance 1.0, decode timestep 0.05, decode noise scale 0.025 (distilled) "
                + "(from the checkpoint's header config)");
        assertThat(ModelDefaults.forModel(tmp.resolve("out.gguf"))).isEqualTo(ModelCatalog.DISTILLED_DEFAULTS);
    }

    @Test
    void aHeaderListWithoutTheReleasesStepsIsTakenAsItIs() throws Exception {
        try (LtxSingleFile f = LtxSingleFile.open(singleFile("[1.0, 0.9, 0.5]"))) {
            ModelDefaults d = f.recommendedDefaults();
            assertThat(d.timesteps()).containsExactly(1000, 900, 500);
            assertThat(d.distilled()).isTrue();
            assertThat(d.guidance()).isEqualTo(1f);
        }
        // Advice only: an unreadable list (a finetune's, on another scale) leaves the file usable, with no defaults.
        for (String unreadable : new String[] {"[1.0, \"x\"]", "{\"a\": 1}", "[]", "[1000, 993]"}) {
            try (LtxSingleFile f = LtxSingleFile.open(singleFile(unreadable))) {
                assertThat(f.recommendedDefaults()).as(unreadable).isEqualTo(ModelDefaults.NONE);
            }
        }
    }

    @Test
    void withoutAHeaderListOrDefaultsNoneAreRecordedAndConvertSaysSo() throws Exception {
        try (LtxSingleFile f = LtxSingleFile.open(singleFile(null))) {
            assertThat(f.recommendedDefaults()).isEqualTo(ModelDefaults.NONE);
        }
        CliRun c = convert(tmp.resolve("ltxv-tiny.safetensors"));
        assertThat(c.code()).as(c.all()).isZero();
        assertThat(c.out().lines().filter(l -> l.startsWith("defaults:")).toList()).singleElement().asString()
                .contains("none recorded").contains("--defaults distilled|STEPS,GUIDANCE[,DECODE_TIMESTEP]");
        assertThat(ModelDefaults.forModel(tmp.resolve("out.gguf"))).isEqualTo(ModelDefaults.NONE);
    }

    @Test
    void givenDefaultsWinOverTheHeaders() throws Exception {
        CliRun c = convert(singleFile(LIGHTRICKS_ALLOWED), "--defaults", "20,4,0.05");
        assertThat(c.code()).as(c.all()).isZero();
        assertThat(c.out()).contains("defaults: 20 steps, guidance 4.0, decode timestep 0.05 (from --defaults)");
        assertThat(ModelDefaults.forModel(tmp.resolve("out.gguf"))).isEqualTo(ModelDefaults.of(20, 4f, 0.05f));

        CliRun bad = convert(tmp.resolve("ltxv-tiny.safetensors"), "--defaults", "fast");
        assertThat(bad.code()).isNotZero();
        assertThat(bad.all()).contains("--defaults 'fast'");
        CliRun amused = CliRun.of("convert", "--model", "amused", tmp.toString(), tmp.resolve("a.gguf").toString(), "--defaults", "distilled");
        assertThat(amused.code()).isNotZero();
        assertThat(amused.all()).contains("--defaults is for video models");
    }

    @Test
    void aComfyGgufTakesDistilledDefaultsFromTheCommandLine() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        try (Arena arena = Arena.ofConfined()) {
            Path gguf = LtxCheckpointFormatsTest.comfyGguf(FIXTURE, tmp.resolve("ltxv-Q8_0.gguf"), (n, ne) -> GgmlType.F32, arena);
            CliRun c = convert(gguf, "--defaults", "distilled");
            assertThat(c.code()).as(c.all()).isZero();
            assertThat(c.out()).contains("(from --defaults)");
            assertThat(ModelDefaults.forModel(tmp.resolve("out.gguf"))).isEqualTo(ModelCatalog.DISTILLED_DEFAULTS);
        }
    }
}
