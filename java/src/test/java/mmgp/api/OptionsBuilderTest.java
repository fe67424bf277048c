package mmgp.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The options records' builders: a copy keeps every field, each field is checked by the record and a bad one is named. */
class OptionsBuilderTest {
    static final ImageOptions IMAGE = ImageOptions.defaults().toBuilder().steps(7).guidanceScale(4f).negativePrompt("blur").size(64, 32).seed(9)
            .temperature(3f, 0.5f).microConditioning(5f, 8, 16).build();
    static final VideoOptions VIDEO = VideoOptions.defaults().toBuilder().size(17, 96, 64).timesteps(1000, 900, 500).guidanceScale(2f)
            .negativePrompt("blur").frameRate(12f).seed(4).vaeMemoryBytes(1 << 20).decode(0.1f, 0.02f).maxSequenceLength(64).tileLatents(6).build();
    static final UnderstandOptions UNDERSTAND = UnderstandOptions.defaults().toBuilder().maxNewTokens(40).minNewTokens(5).temperature(0.7f).topK(20)
            .topP(0.9f).minP(0.05f).repetitionPenalty(1.2f).beams(2).seed(3).maxFrames(16).build();

    @Test
    void aBuilderWithNothingChangedBuildsAnEqualRecord() {
        assertThat(IMAGE.toBuilder().build()).isEqualTo(IMAGE);
        assertThat(VIDEO.toBuilder().build()).isEqualTo(VIDEO);
        assertThat(UNDERSTAND.toBuilder().build()).isEqualTo(UNDERSTAND);
        assertThat(IMAGE).extracting(ImageOptions::temperatureStart, ImageOptions::temperatureEnd, ImageOptions::aestheticScore, ImageOptions::cropX,
                ImageOptions::cropY).containsExactly(3f, 0.5f, 5f, 8, 16);
        assertThat(UNDERSTAND).extracting(UnderstandOptions::minNewTokens, UnderstandOptions::minP, UnderstandOptions::repetitionPenalty,
                UnderstandOptions::beams).containsExactly(5, 0.05f, 1.2f, 2);
    }

    @Test
    void theWithMethodsChangeOneFieldAndKeepTheRest() {
        assertThat(IMAGE.withSeed(1)).isEqualTo(IMAGE.toBuilder().seed(1).build());
        assertThat(IMAGE.withSteps(5)).extracting(ImageOptions::steps, ImageOptions::temperatureStart).containsExactly(5, 3f);
        assertThat(VIDEO.withSeed(1)).isEqualTo(VIDEO.toBuilder().seed(1).build());
        assertThat(VIDEO.withFrameRate(30).tileLatents()).isEqualTo(6);
        assertThat(UNDERSTAND.withSeed(8)).isEqualTo(UNDERSTAND.toBuilder().seed(8).build());
        assertThat(UNDERSTAND.withMaxNewTokens(3).minNewTokens()).as("a larger minimum is lowered").isEqualTo(3);
    }

    @Test
    void aScalarTemperatureIsDiffusersLinspaceToOneHundredth() {
        ImageOptions o = ImageOptions.defaults().toBuilder().temperature(1.5f).build();
        assertThat(o.temperatureStart()).isEqualTo(1.5f);
        assertThat(o.temperatureEnd()).isEqualTo(0.01f);
        assertThat(ImageOptions.defaults()).extracting(ImageOptions::temperatureStart, ImageOptions::temperatureEnd, ImageOptions::aestheticScore)
                .as("diffusers' defaults").containsExactly(2f, 0f, 6f);
    }

    @Test
    void anExplicitScheduleSetsTheStepsAndLinspaceStepsDropIt() {
        assertThat(VIDEO.steps()).isEqualTo(3);
        assertThat(VIDEO.timestepArray()).containsExactly(1000, 900, 500);
        assertThat(VIDEO.sigmaArray()).isNull();
        VideoOptions linspace = VIDEO.withSteps(10);
        assertThat(linspace.timesteps()).isEmpty();
        assertThat(linspace.timestepArray()).isNull();
        VideoOptions sigmas = VIDEO.toBuilder().sigmas(1, 0.5, 0.25, 0.1).build();
        assertThat(sigmas.steps()).isEqualTo(4);
        assertThat(sigmas.timesteps()).as("one schedule at a time").isEmpty();
        assertThat(VideoOptions.DISTILLED_TIMESTEPS).hasSize(7);
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                bad("temperature_start", () -> IMAGE.toBuilder().temperature(-1f, 0f).build()),
                bad("temperature_end", () -> IMAGE.toBuilder().temperature(2f, Float.NaN).build()),
                bad("aesthetic_score", () -> IMAGE.toBuilder().microConditioning(11f, 0, 0).build()),
                bad("crop_x", () -> IMAGE.toBuilder().microConditioning(6f, -1, 0).build()),
                bad("crop_y", () -> IMAGE.toBuilder().microConditioning(6f, 0, 9000).build()),
                bad("max_sequence_length", () -> VIDEO.toBuilder().maxSequenceLength(0).build()),
                bad("tile_latents", () -> VIDEO.toBuilder().tileLatents(-2).build()),
                bad("timesteps", () -> VIDEO.toBuilder().timesteps(1000, 1200).build()),
                bad("timesteps", () -> VIDEO.toBuilder().timesteps(new double[1001]).build()),
                bad("sigmas", () -> VIDEO.toBuilder().sigmas(1.5).build()),
                bad("timesteps", () -> new VideoOptions(9, 64, 64, 2, 3f, "", 24f, 0, 0, Float.NaN, Float.NaN, 128, 0, List.of(1000d, 500d), List.of(1d, 0.5d))),
                bad("timesteps", () -> VIDEO.toBuilder().timesteps(java.util.Arrays.asList(1000d, null)).build()),
                bad("sigmas", () -> new VideoOptions(9, 64, 64, 2, 3f, "", 24f, 0, 0, Float.NaN, Float.NaN, 128, 0, List.of(), java.util.Arrays.asList(null, 0.5d))),
                bad("steps", () -> new VideoOptions(9, 64, 64, 5, 3f, "", 24f, 0, 0, Float.NaN, Float.NaN, 128, 0, List.of(1000d, 500d), List.of())),
                bad("min_new_tokens", () -> UNDERSTAND.toBuilder().minNewTokens(41).build()),
                bad("min_p", () -> UNDERSTAND.toBuilder().minP(1.5f).build()),
                bad("repetition_penalty", () -> UNDERSTAND.toBuilder().repetitionPenalty(0f).build()),
                bad("repetition_penalty", () -> UNDERSTAND.toBuilder().repetitionPenalty(Float.POSITIVE_INFINITY).build()),
                bad("beams", () -> UNDERSTAND.toBuilder().beams(0).build()));
    }

    private static Arguments bad(String field, Supplier<Object> make) {
        return Arguments.of(field, make);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badValues")
    void aBadValueIsRefusedNamingItsField(String field, Supplier<Object> make) {
        assertThatThrownBy(make::get).isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo(field));
    }
}
