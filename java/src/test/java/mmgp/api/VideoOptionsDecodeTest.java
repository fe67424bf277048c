package mmgp.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** A video request's decode timestep and noise scale: open by default, 0..1 when given, kept by every other with-method. */
class VideoOptionsDecodeTest {
    @Test
    void leftToTheModelUnlessGiven() {
        VideoOptions d = VideoOptions.defaults();
        assertThat(d.decodeTimestep()).isNaN();
        assertThat(d.decodeNoiseScale()).isNaN();
        assertThat(d.decodeGiven()).isFalse();
        assertThat(d.withDecode(0.1f, VideoOptions.MODEL_DECODE).decodeGiven()).isTrue();
        assertThat(d.withDecode(VideoOptions.MODEL_DECODE, 0.2f).decodeGiven()).isTrue();
        assertThat(d.toBuilder().size(9, 64, 32).steps(2).guidanceScale(3f).seed(1).build().decodeGiven()).as("a builder that leaves them").isFalse();
    }

    @Test
    void everyWithMethodKeepsTheDecodeSettings() {
        VideoOptions o = VideoOptions.defaults().withDecode(0.1f, 0.02f);
        for (VideoOptions v : new VideoOptions[] {o.withSize(9, 64, 32), o.withSteps(3), o.withGuidance(2f), o.withNegativePrompt("blur"),
                o.withFrameRate(12), o.withVaeMemory(1 << 20), o.withSeed(7)}) {
            assertThat(v.decodeTimestep()).isEqualTo(0.1f);
            assertThat(v.decodeNoiseScale()).isEqualTo(0.02f);
        }
        assertThat(o.withDecode(0f, 1f)).extracting(VideoOptions::decodeTimestep, VideoOptions::decodeNoiseScale).containsExactly(0f, 1f);
    }

    @ParameterizedTest(name = "timestep {0}, noise {1} → {2}")
    @CsvSource({
            "1.5, NaN, decode_timestep",
            "-0.01, NaN, decode_timestep",
            "Infinity, NaN, decode_timestep",
            "NaN, 1.01, decode_noise_scale",
            "0.05, -1, decode_noise_scale",
            "0.05, -Infinity, decode_noise_scale",
    })
    void valuesOutsideZeroToOneAreRefusedNamingTheField(float timestep, float noise, String field) {
        assertThatThrownBy(() -> VideoOptions.defaults().withDecode(timestep, noise))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo(field))
                .hasMessageContaining("[0, 1]");
    }
}
