package mmgp.models.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import mmgp.api.ProgressListener;
import mmgp.api.Task;
import mmgp.api.VideoRequest;
import mmgp.api.VideoResult;
import mmgp.bindings.NativeLibraries;
import mmgp.engine.Engine;
import mmgp.engine.EngineListener;
import mmgp.engine.spi.BatchItem;
import mmgp.engine.spi.BatchModel;
import mmgp.graph.Numerics;
import org.junit.jupiter.api.Test;

/** {@link Engine.Builder#numerics} reaches the model the provider opens: its backend computes on the routes chosen. */
class EngineNumericsTest {
    @Test
    @SuppressWarnings("unchecked")
    void theEnginesNumericsChooseTheKernelRoutesOfTheModelItOpens() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        VideoRequest request = new VideoRequest("a red car", LtxProviderTest.SMALL.withSeed(7));
        Map<Numerics, float[]> rgb = new EnumMap<>(Numerics.class);
        for (Numerics n : Numerics.values()) {
            List<String> loaded = new CopyOnWriteArrayList<>();
            EngineListener listener = new EngineListener() {
                @Override
                public void modelLoaded(Task task, String description, double seconds) {
                    loaded.add(description);
                }
            };
            try (Engine engine = Engine.builder().model(Task.VIDEO, LtxProviderTest.CHECKPOINT).threads(2).numerics(n).listener(listener).build()) {
                rgb.put(n, engine.generateVideo(request, null).result().get(120, TimeUnit.SECONDS).rgb());
            }
            assertThat(loaded).singleElement().asString().contains("numerics " + n.label());
        }
        // The two routes compute differently (FAST: F16 im2col for the VAE's convolutions, fused attention)...
        assertThat(rgb.get(Numerics.FAST)).isNotEqualTo(rgb.get(Numerics.EXACT));
        // ...and the engine's EXACT video is, bit for bit, that of the model opened directly on the EXACT routes.
        try (var model = (BatchModel<VideoRequest, VideoResult>) new LtxProvider().open(LtxProviderTest.CHECKPOINT, 2, Numerics.EXACT)) {
            assertThat(model.description()).contains("numerics exact");
            float[] direct = model.run(List.of(new BatchItem<>(request, null)), ProgressListener.NONE).getFirst().rgb();
            assertThat(direct).isEqualTo(rgb.get(Numerics.EXACT));
        }
    }
}
