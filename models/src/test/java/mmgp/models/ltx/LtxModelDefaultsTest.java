package mmgp.models.ltx;

import static org.assertj.core.api.Assertions.assertThat;

import mmgp.registry.ModelCatalog;
import mmgp.registry.ModelDefaults;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code mmgp video}: the model's recommended defaults when no flag is given, the flags when they are. */
class LtxModelDefaultsTest {
    static final ModelDefaults DISTILLED = ModelCatalog.byName("ltx-video-2b-0.9.8-distilled").defaults();
    static final ModelDefaults V095 = ModelCatalog.byName("ltx-video-0.9.5").defaults();

    static LtxPipeline.Options options(ModelDefaults d, String... args) {
        VideoCommand c = new VideoCommand();
        String[] all = new String[args.length + 2];
        all[0] = "-p";
        all[1] = "a red car";
        System.arraycopy(args, 0, all, 2, args.length);
        new CommandLine(c).parseArgs(all);
        return c.options(d);
    }

    @Test
    void withoutFlagsADistilledModelRunsItsTimestepListWithoutGuidance() {
        LtxPipeline.Options o = options(DISTILLED);
        assertThat(o.timesteps()).containsExactly(LtxPipeline.Options.DISTILLED_TIMESTEPS);
        assertThat(o.steps()).isEqualTo(7);
        assertThat(o.guidanceScale()).isEqualTo(1f);
        assertThat(o.decodeTimestepsFor(1)).containsExactly(0.05f);
        assertThat(o.decodeNoiseScalesFor(1)).as("Lightricks' distilled configs").containsExactly(0.025f);
    }

    @Test
    void withoutFlagsA095ModelRunsFortyStepsUnderGuidanceThree() {
        LtxPipeline.Options o = options(V095);
        assertThat(o.timesteps()).isNull();
        assertThat(o.steps()).isEqualTo(40);
        assertThat(o.guidanceScale()).isEqualTo(3f);
    }

    @Test
    void aModelWithoutDefaultsKeepsTodaysBehaviour() {
        LtxPipeline.Options o = options(ModelDefaults.NONE);
        assertThat(o.steps()).isEqualTo(40);
        assertThat(o.timesteps()).isNull();
        assertThat(o.guidanceScale()).isEqualTo(3f);
        assertThat(o.decodeTimestepsFor(1)).containsExactly(0.05f);
        LtxPipeline.Options distilled = options(ModelDefaults.NONE, "--schedule", "distilled");
        assertThat(distilled.timesteps()).containsExactly(LtxPipeline.Options.DISTILLED_TIMESTEPS);
        assertThat(distilled.guidanceScale()).isEqualTo(1f);
    }

    @Test
    void aRecommendedNoiseScaleWithoutATimestepIsKept() {
        LtxPipeline.Options o = options(new ModelDefaults(null, null, null, null, 0.3f, false));
        assertThat(o.decodeTimestepsFor(1)).as("the options' own timestep").containsExactly(0.05f);
        assertThat(o.decodeNoiseScalesFor(1)).as("the model's noise scale").containsExactly(0.3f);
    }

    @Test
    void decodeFlagsAreOneValueOrOnePerPromptWithinZeroToOne() {
        ModelDefaults d = new ModelDefaults(null, null, null, 0.05f, 0.025f, false);
        LtxPipeline.Options model = options(d);
        assertThat(model.decodeNoiseScalesFor(1)).as("the model's pair").containsExactly(0.025f);
        LtxPipeline.Options listed = options(d, "-p", "a boat", "--decode-timestep", "0.1,0.2");
        assertThat(listed.decodeTimestepsFor(2)).containsExactly(0.1f, 0.2f);
        assertThat(listed.decodeNoiseScalesFor(2)).as("no noise flag: the timesteps, as diffusers").containsExactly(0.1f, 0.2f);
        LtxPipeline.Options noiseOnly = options(d, "--decode-noise-scale", "0.3");
        assertThat(noiseOnly.decodeTimestepsFor(1)).as("the model's timestep").containsExactly(0.05f);
        assertThat(noiseOnly.decodeNoiseScalesFor(1)).containsExactly(0.3f);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> options(d, "--decode-timestep", "0.1,1.5"))
                .hasMessageContaining("--decode-timestep 1.5 is outside 0..1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> options(d, "--decode-noise-scale", "-0.5"))
                .hasMessageContaining("--decode-noise-scale -0.5 is outside 0..1");
    }

    @Test
    void explicitFlagsWinOverTheModelsDefaults() {
        LtxPipeline.Options o = options(DISTILLED, "--steps", "5", "--guidance", "4", "--decode-timestep", "0.1");
        assertThat(o.steps()).isEqualTo(5);
        assertThat(o.timesteps()).as("--steps replaces the model's timestep list").isNull();
        assertThat(o.guidanceScale()).isEqualTo(4f);
        assertThat(o.decodeTimestepsFor(1)).containsExactly(0.1f);

        LtxPipeline.Options guidanceOnly = options(DISTILLED, "--guidance", "2");
        assertThat(guidanceOnly.timesteps()).as("the model's schedule stays").containsExactly(LtxPipeline.Options.DISTILLED_TIMESTEPS);
        assertThat(guidanceOnly.guidanceScale()).isEqualTo(2f);

        LtxPipeline.Options own = options(DISTILLED, "--timesteps", "1000,900");
        assertThat(own.timesteps()).containsExactly(1000, 900);
        assertThat(own.guidanceScale()).as("guidance still the model's").isEqualTo(1f);

        LtxPipeline.Options linspace = options(DISTILLED, "--schedule", "pipeline");
        assertThat(linspace.timesteps()).isNull();
        assertThat(linspace.steps()).as("the model's step count, on the pipeline's schedule").isEqualTo(7);

        LtxPipeline.Options steps095 = options(V095, "--steps", "12");
        assertThat(steps095.steps()).isEqualTo(12);
        assertThat(steps095.guidanceScale()).isEqualTo(3f);
    }
}
