package mmgp.models.ltx;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import mmgp.api.VideoOptions;
import mmgp.registry.ModelCatalog;
import mmgp.registry.ModelDefaults;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code mmgp video}: the model's recommended defaults when no flag is given, the flags when they are. */
class LtxModelDefaultsTest {
    static final ModelDefaults DISTILLED = ModelCatalog.byName("ltx-video-2b-0.9.8-distilled").defaults();
    static final ModelDefaults V095 = ModelCatalog.byName("ltx-video-0.9.5").defaults();

    static List<VideoOptions> options(ModelDefaults d, String... args) {
        VideoCommand c = new VideoCommand();
        String[] all = new String[args.length + 2];
        all[0] = "-p";
        all[1] = "a red car";
        System.arraycopy(args, 0, all, 2, args.length);
        new CommandLine(c).parseArgs(all);
        return c.options(d);
    }

    /** The first video's options. */
    static VideoOptions first(ModelDefaults d, String... args) {
        return options(d, args).getFirst();
    }

    @Test
    void withoutFlagsADistilledModelRunsItsTimestepListWithoutGuidance() {
        VideoOptions o = first(DISTILLED);
        assertThat(o.timesteps()).isEqualTo(VideoOptions.DISTILLED_TIMESTEPS);
        assertThat(o.steps()).isEqualTo(7);
        assertThat(o.guidanceScale()).isEqualTo(1f);
        assertThat(o.decodeTimestep()).isEqualTo(0.05f);
        assertThat(o.decodeNoiseScale()).as("Lightricks' distilled configs").isEqualTo(0.025f);
    }

    @Test
    void withoutFlagsA095ModelRunsFortyStepsUnderGuidanceThree() {
        VideoOptions o = first(V095);
        assertThat(o.timesteps()).isEmpty();
        assertThat(o.steps()).isEqualTo(40);
        assertThat(o.guidanceScale()).isEqualTo(3f);
    }

    @Test
    void aModelWithoutDefaultsKeepsTodaysBehaviour() {
        VideoOptions o = first(ModelDefaults.NONE);
        assertThat(o.steps()).isEqualTo(40);
        assertThat(o.timesteps()).isEmpty();
        assertThat(o.guidanceScale()).isEqualTo(3f);
        assertThat(o.decodeTimestep()).isEqualTo(0.05f);
        VideoOptions distilled = first(ModelDefaults.NONE, "--schedule", "distilled");
        assertThat(distilled.timesteps()).isEqualTo(VideoOptions.DISTILLED_TIMESTEPS);
        assertThat(distilled.guidanceScale()).isEqualTo(1f);
    }

    @Test
    void aRecommendedNoiseScaleWithoutATimestepIsKept() {
        VideoOptions o = first(new ModelDefaults(null, null, null, null, 0.3f, false));
        assertThat(o.decodeTimestep()).as("the options' own timestep").isEqualTo(0.05f);
        assertThat(o.decodeNoiseScale()).as("the model's noise scale").isEqualTo(0.3f);
    }

    @Test
    void decodeFlagsAreOneValueOrOnePerPromptWithinZeroToOne() {
        ModelDefaults d = new ModelDefaults(null, null, null, 0.05f, 0.025f, false);
        VideoOptions model = first(d);
        assertThat(model.decodeNoiseScale()).as("the model's pair").isEqualTo(0.025f);
        List<VideoOptions> listed = options(d, "-p", "a boat", "--decode-timestep", "0.1,0.2");
        assertThat(listed).extracting(VideoOptions::decodeTimestep).containsExactly(0.1f, 0.2f);
        assertThat(listed).extracting(VideoOptions::decodeNoiseScale).as("no noise flag: the timesteps, as diffusers").containsExactly(0.1f, 0.2f);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> options(d, "--decode-timestep", "0.1,0.2"))
                .hasMessageContaining("2 decode timesteps for 1 prompts");
        VideoOptions noiseOnly = first(d, "--decode-noise-scale", "0.3");
        assertThat(noiseOnly.decodeTimestep()).as("the model's timestep").isEqualTo(0.05f);
        assertThat(noiseOnly.decodeNoiseScale()).isEqualTo(0.3f);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> options(d, "--decode-timestep", "0.1,1.5"))
                .hasMessageContaining("--decode-timestep 1.5 is outside 0..1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> options(d, "--decode-noise-scale", "-0.5"))
                .hasMessageContaining("--decode-noise-scale -0.5 is outside 0..1");
    }

    @Test
    void explicitFlagsWinOverTheModelsDefaults() {
        VideoOptions o = first(DISTILLED, "--steps", "5", "--guidance", "4", "--decode-timestep", "0.1");
        assertThat(o.steps()).isEqualTo(5);
        assertThat(o.timesteps()).as("--steps replaces the model's timestep list").isEmpty();
        assertThat(o.guidanceScale()).isEqualTo(4f);
        assertThat(o.decodeTimestep()).isEqualTo(0.1f);

        VideoOptions guidanceOnly = first(DISTILLED, "--guidance", "2");
        assertThat(guidanceOnly.timesteps()).as("the model's schedule stays").isEqualTo(VideoOptions.DISTILLED_TIMESTEPS);
        assertThat(guidanceOnly.guidanceScale()).isEqualTo(2f);

        VideoOptions own = first(DISTILLED, "--timesteps", "1000,900");
        assertThat(own.timesteps()).containsExactly(1000d, 900d);
        assertThat(own.guidanceScale()).as("guidance still the model's").isEqualTo(1f);

        VideoOptions linspace = first(DISTILLED, "--schedule", "pipeline");
        assertThat(linspace.timesteps()).isEmpty();
        assertThat(linspace.steps()).as("the model's step count, on the pipeline's schedule").isEqualTo(7);

        VideoOptions steps095 = first(V095, "--steps", "12");
        assertThat(steps095.steps()).isEqualTo(12);
        assertThat(steps095.guidanceScale()).isEqualTo(3f);
    }
}
