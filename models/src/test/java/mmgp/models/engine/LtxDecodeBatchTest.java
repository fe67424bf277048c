package mmgp.models.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import mmgp.api.ProgressListener;
import mmgp.api.VideoOptions;
import mmgp.api.VideoRequest;
import mmgp.api.VideoResult;
import mmgp.bindings.NativeLibraries;
import mmgp.engine.spi.BatchItem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Requests with different decode timesteps and noise scales share a batch on the tiny 0.9.5
 * fixture (a timestep-conditioned VAE), and each still gets the video it gets alone.
 */
class LtxDecodeBatchTest {
    static final Path CHECKPOINT = Path.of("src/test/resources/fixtures/ltx_video_095/checkpoint");
    static final VideoOptions SMALL = VideoOptions.defaults().withSize(9, 64, 32).withSteps(2).withGuidance(1f);

    static LtxBatchModel model;

    @BeforeAll
    static void open() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        model = (LtxBatchModel) new LtxProvider().open(CHECKPOINT, 2, mmgp.graph.Numerics.FAST);
    }

    @AfterAll
    static void close() throws Exception {
        if (model != null) model.close();
    }

    @Test
    void decodeSettingsDoNotSplitABatch() {
        Object key = model.batchKey(new VideoRequest("a car", SMALL));
        assertThat(model.batchKey(new VideoRequest("a car", SMALL.withDecode(0.3f, 0.1f)))).isEqualTo(key);
        assertThat(model.batchKey(new VideoRequest("a car", SMALL.withDecode(VideoOptions.MODEL_DECODE, 0.5f)))).isEqualTo(key);
    }

    @Test
    void theRunsKnobsSplitABatch() {
        Object key = model.batchKey(new VideoRequest("a car", SMALL));
        assertThat(model.batchKey(new VideoRequest("a car", SMALL.toBuilder().maxSequenceLength(16).build()))).isNotEqualTo(key);
        assertThat(model.batchKey(new VideoRequest("a car", SMALL.toBuilder().tileLatents(2).build()))).isNotEqualTo(key);
        assertThat(model.batchKey(new VideoRequest("a car", SMALL.toBuilder().timesteps(1000, 500).build()))).isNotEqualTo(key);
        assertThat(model.batchKey(new VideoRequest("a car", SMALL.toBuilder().timesteps(1000, 500).build())))
                .isEqualTo(model.batchKey(new VideoRequest("a boat", SMALL.toBuilder().timesteps(1000, 500).seed(3).build())));
    }

    @Test
    void eachRequestInABatchDecodesWithItsOwnSettings() throws Exception {
        VideoRequest own = new VideoRequest("a red car", SMALL.withSeed(11).withDecode(0.4f, 0.3f));
        VideoRequest model = new VideoRequest("a boat at sea", SMALL.withSeed(12)); // the model's: 0.05, noise the timestep
        List<VideoResult> batch = run(own, model);
        assertThat(batch).hasSize(2);
        assertThat(batch).extracting(VideoResult::batchSize).containsExactly(2, 2);
        for (int i = 0; i < 2; i++) {
            VideoRequest r = i == 0 ? own : model;
            assertThat(batch.get(i).rgb()).as("video %d in the batch vs alone", i).containsExactly(run(r).getFirst().rgb());
        }
        // The settings matter: the first request with the model's settings is another video,
        // and giving the model's values explicitly is the same video as leaving them open.
        VideoRequest ownWithModelsDecode = new VideoRequest(own.prompt(), own.options().withDecode(VideoOptions.MODEL_DECODE, VideoOptions.MODEL_DECODE));
        float[] other = run(ownWithModelsDecode).getFirst().rgb();
        assertThat(maxAbs(other, batch.getFirst().rgb())).isGreaterThan(1e-3f);
        VideoRequest explicit = new VideoRequest(own.prompt(), own.options().withDecode(0.05f, 0.05f));
        assertThat(run(explicit).getFirst().rgb()).containsExactly(other);
    }

    private static List<VideoResult> run(VideoRequest... requests) throws Exception {
        return LtxDecodeBatchTest.model.run(Arrays.stream(requests).map(r -> new BatchItem<>(r, null)).toList(), ProgressListener.NONE);
    }

    private static float maxAbs(float[] a, float[] b) {
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
