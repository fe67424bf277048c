package mmgp.models.ltx;

import static org.assertj.core.api.Assertions.assertThat;

import mmgp.api.VideoOptions;
import mmgp.registry.ModelCatalog;
import mmgp.registry.ModelDefaults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The one place a video request's open settings get the model's (or the built-in) values. */
class LtxDefaultsResolveTest {
    static final ModelDefaults DISTILLED = ModelCatalog.DISTILLED_DEFAULTS;

    @Test
    void openStepsAndGuidanceTakeTheModelsElseTheFallbacks() {
        VideoOptions open = VideoOptions.defaults();
        VideoOptions distilled = LtxDefaults.resolve(open, DISTILLED);
        assertThat(distilled.timesteps()).isEqualTo(VideoOptions.DISTILLED_TIMESTEPS);
        assertThat(distilled.steps()).isEqualTo(7);
        assertThat(distilled.guidanceScale()).isEqualTo(1f);
        VideoOptions none = LtxDefaults.resolve(open, ModelDefaults.NONE);
        assertThat(none.steps()).isEqualTo(VideoOptions.FALLBACK_STEPS);
        assertThat(none.timesteps()).isEmpty();
        assertThat(none.guidanceScale()).isEqualTo(VideoOptions.FALLBACK_GUIDANCE);
        assertThat(LtxDefaults.resolve(open, ModelDefaults.of(20, 4f, null))).extracting(VideoOptions::steps, VideoOptions::guidanceScale)
                .containsExactly(20, 4f);
    }

    @Test
    void givenValuesStayAndResolvingTwiceChangesNothing() {
        VideoOptions given = VideoOptions.defaults().toBuilder().steps(5).guidanceScale(2f).decode(0.1f, 0.2f).maxSequenceLength(64).build();
        assertThat(LtxDefaults.resolve(given, DISTILLED)).isEqualTo(given);
        VideoOptions once = LtxDefaults.resolve(VideoOptions.defaults(), DISTILLED);
        assertThat(LtxDefaults.resolve(once, ModelDefaults.NONE)).isEqualTo(once);
        VideoOptions ownSchedule = VideoOptions.defaults().toBuilder().timesteps(1000, 800).build();
        assertThat(LtxDefaults.resolve(ownSchedule, DISTILLED).timesteps()).containsExactly(1000d, 800d);
    }

    /** Model pair (NaN: none) × request pair (NaN: open) → what the decode runs with. */
    @ParameterizedTest(name = "model ({0}, {1}), request ({2}, {3}) → ({4}, {5})")
    @CsvSource({
            "NaN, NaN, NaN, NaN, 0.05, 0.05",
            "0.05, 0.025, NaN, NaN, 0.05, 0.025",
            "0.05, NaN, NaN, NaN, 0.05, 0.05",
            "NaN, 0.3, NaN, NaN, 0.05, 0.3",
            "0.05, 0.025, 0.2, NaN, 0.2, 0.2",
            "0.05, 0.025, NaN, 0.3, 0.05, 0.3",
            "0.05, 0.025, 0, 1, 0, 1",
    })
    void theDecodePair(float modelTimestep, float modelNoise, float timestep, float noise, float wantTimestep, float wantNoise) {
        ModelDefaults d = new ModelDefaults(null, null, null, Float.isNaN(modelTimestep) ? null : modelTimestep,
                Float.isNaN(modelNoise) ? null : modelNoise, false);
        VideoOptions r = LtxDefaults.resolve(VideoOptions.defaults().withDecode(timestep, noise), d);
        assertThat(r.decodeTimestep()).isEqualTo(wantTimestep);
        assertThat(r.decodeNoiseScale()).isEqualTo(wantNoise);
    }
}
