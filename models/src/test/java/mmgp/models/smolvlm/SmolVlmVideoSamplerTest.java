package mmgp.models.smolvlm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import mmgp.models.smolvlm.SmolVlmVideoSampler.VideoMetadata;
import org.junit.jupiter.api.Test;

class SmolVlmVideoSamplerTest {

    private static int[] sample(int frames, double fps, int maxFrames, double targetFps) {
        return SmolVlmVideoSampler.sampleIndices(VideoMetadata.ofFrames(frames, fps), maxFrames, targetFps, 1.0);
    }

    @Test
    void goldenVideoSkipsOneSecondAtBothEnds() {
        // 48 frames at 4 fps = 12 s; 12 − 2 > 4 × 1, so [4, 44] is sampled: linspace 4, 17.3, 30.7, 44.
        assertThat(sample(48, 4.0, 4, 1.0)).containsExactly(4, 17, 30, 44);
    }

    @Test
    void shortVideosGiveFewerFramesThanMaxFrames() {
        assertThat(sample(3, 1.0, 4, 1.0)).containsExactly(0, 1, 2);      // 3 s: round(3) = 3 frames, no skip
        assertThat(sample(5, 2.0, 4, 1.0)).containsExactly(0, 4);         // 2.5 s: round half to even = 2
        assertThat(sample(7, 2.0, 4, 1.0)).containsExactly(0, 2, 4, 6);   // 3.5 s: round half to even = 4
    }

    @Test
    void veryShortVideosGiveOneFrame() {
        assertThat(sample(2, 30.0, 4, 1.0)).containsExactly(0);
        assertThat(sample(1, 1.0, 4, 1.0)).containsExactly(0);
    }

    @Test
    void repeatedIndicesCollapse() {
        // 3 frames at 0.5 fps = 6 s -> 6 frames wanted, capped at 4, but only 3 distinct indices exist.
        assertThat(sample(3, 0.5, 4, 1.0)).containsExactly(0, 1, 2);
    }

    @Test
    void longVideosAreCappedAtMaxFrames() {
        int[] indices = sample(30 * 600, 30.0, 64, 1.0); // 10 minutes
        assertThat(indices).hasSize(64);
        assertThat(indices[0]).isEqualTo(30);
        assertThat(indices[63]).isEqualTo(30 * 600 - 30);
    }

    @Test
    void invalidMetadataIsRejected() {
        assertThatThrownBy(() -> SmolVlmVideoSampler.sampleIndices(new VideoMetadata(0, 30, 1), 4, 1, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SmolVlmVideoSampler.sampleIndices(new VideoMetadata(10, 30, 0), 4, 1, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void numbersAreWrittenAsNum2wordsDoes() {
        assertThat(SmolVlmVideoSampler.numberToWords(0)).isEqualTo("zero");
        assertThat(SmolVlmVideoSampler.numberToWords(4)).isEqualTo("four");
        assertThat(SmolVlmVideoSampler.numberToWords(13)).isEqualTo("thirteen");
        assertThat(SmolVlmVideoSampler.numberToWords(21)).isEqualTo("twenty-one");
        assertThat(SmolVlmVideoSampler.numberToWords(40)).isEqualTo("forty");
        assertThat(SmolVlmVideoSampler.numberToWords(64)).isEqualTo("sixty-four");
        assertThat(SmolVlmVideoSampler.numberToWords(99)).isEqualTo("ninety-nine");
        assertThat(SmolVlmVideoSampler.numberToWords(100)).isEqualTo("one hundred");
        assertThat(SmolVlmVideoSampler.numberToWords(105)).isEqualTo("one hundred and five");
        assertThat(SmolVlmVideoSampler.numberToWords(120)).isEqualTo("one hundred and twenty");
        assertThat(SmolVlmVideoSampler.numberToWords(999)).isEqualTo("nine hundred and ninety-nine");
        assertThat(SmolVlmVideoSampler.numberToWords(1000)).isEqualTo("one thousand");
        assertThat(SmolVlmVideoSampler.numberToWords(1001)).isEqualTo("one thousand and one");
        assertThat(SmolVlmVideoSampler.numberToWords(1100)).isEqualTo("one thousand, one hundred");
        assertThat(SmolVlmVideoSampler.numberToWords(1234)).isEqualTo("one thousand, two hundred and thirty-four");
        assertThat(SmolVlmVideoSampler.numberToWords(150000)).isEqualTo("one hundred and fifty thousand");
        assertThat(SmolVlmVideoSampler.numberToWords(2000001)).isEqualTo("two million and one");
        assertThat(SmolVlmVideoSampler.numberToWords(-3)).isEqualTo("minus three");
    }

    @Test
    void durationsAndTimestampsArePythons() {
        assertThat(SmolVlmVideoSampler.durationText(12.0)).isEqualTo("0:00:12");
        assertThat(SmolVlmVideoSampler.durationText(3725.9)).isEqualTo("1:02:05");
        assertThat(SmolVlmVideoSampler.durationText(86400)).isEqualTo("1 day, 0:00:00");
        assertThat(SmolVlmVideoSampler.durationText(200000)).isEqualTo("2 days, 7:33:20");
        assertThat(SmolVlmVideoSampler.frameTimestamp(17, 4.0)).isEqualTo("00:04");
        assertThat(SmolVlmVideoSampler.frameTimestamp(44, 4.0)).isEqualTo("00:11");
        assertThat(SmolVlmVideoSampler.frameTimestamp(3661, 1.0)).isEqualTo("61:01");
        assertThat(SmolVlmVideoSampler.frameTimestamp(1799, 29.97)).isEqualTo("01:00");
    }

    @Test
    void decodedFramesGoThroughTheSameSampler() throws IOException {
        List<BufferedImage> decoded = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            BufferedImage frame = new BufferedImage(48, 32, BufferedImage.TYPE_3BYTE_BGR);
            frame.setRGB(0, 0, i); // frame number in the blue channel of the first pixel
            decoded.add(frame);
        }
        SmolVlmVideoSampler sampler = new SmolVlmVideoSampler(
                new SmolVlmVideoSampler.Config(1, 4, SmolVlmImageProcessor.Size.longestEdge(96)), 1.0);

        SmolVlmVideoSampler.SampledVideo sampled = sampler.sample(SmolVlmVideoSampler.Video.ofBufferedImages(decoded, 1.0));

        assertThat(sampled.frameIndices()).containsExactly(0, 1, 2);
        assertThat(sampled.frames().get(2).sample(0, 0, 2)).isEqualTo(2);
        assertThat(sampled.timestamps()).containsExactly("00:00", "00:01", "00:02");
        assertThat(sampled.intro())
                .isEqualTo("You are provided the following series of three frames from a 0:00:03 [H:MM:SS] video.\n");
        SmolVlmImageProcessor.Result pixels = sampler.preprocess(
                SmolVlmImageProcessor.load(SmolVlmProcessorGoldenTest.CHECKPOINT), sampled.frames());
        assertThat(pixels.shape()).containsExactly(3, 3, 96, 96);
        assertThat(pixels.rows()).containsOnly(0);
    }
}
