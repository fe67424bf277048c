package mmgp.models.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import mmgp.api.ImageRequest;
import mmgp.api.ImageResult;
import mmgp.api.ProgressListener;
import mmgp.api.VideoRequest;
import mmgp.api.VideoResult;
import mmgp.bindings.NativeLibraries;
import mmgp.engine.spi.BatchItem;
import mmgp.engine.spi.BatchModel;
import mmgp.engine.spi.CostEstimate;
import mmgp.graph.GraphStats;
import org.junit.jupiter.api.Test;

/**
 * Each model's cost estimate against what its run measures on the tiny fixtures: the largest
 * compute buffer ggml's allocator allocated for any graph of the run ({@link GraphStats#bufferBytes})
 * and the FLOPs of every graph computed. The estimate's peak may exceed the largest buffer only
 * by what it counts beside it (aMUSEd's guided logits, a tiled VAE's cached tiles); its FLOPs
 * are the same graphs' count.
 */
class CostEstimateTest {
    @Test
    @SuppressWarnings("unchecked")
    void amusedEstimateMatchesTheMeasuredComputeBuffers() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        try (var model = (BatchModel<ImageRequest, ImageResult>) new AmusedProvider().open(AmusedProviderTest.CHECKPOINT, 2)) {
            for (int n : new int[] {1, 2}) {
                List<ImageRequest> batch = new ArrayList<>();
                for (int i = 0; i < n; i++) batch.add(new ImageRequest("a cat " + i, AmusedProviderTest.FAST.withSeed(i)));
                CostEstimate estimate = model.estimate(batch);
                Measured m = run(model, batch);
                report("amused batch " + n, estimate, m);
                // beside the transformer's buffer the run holds the guided logits: 4 B × batch × tokens × codebook, small next to it
                assertThat(estimate.peakBytes()).isBetween(m.bufferBytes, m.bufferBytes + m.bufferBytes / 4);
                assertThat(estimate.flops()).isCloseTo(m.flops, org.assertj.core.data.Percentage.withPercentage(1));
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void ltxEstimateMatchesTheMeasuredComputeBuffers() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        try (var model = (BatchModel<VideoRequest, VideoResult>) new LtxProvider().open(LtxProviderTest.CHECKPOINT, 2)) {
            for (int n : new int[] {1, 2}) {
                List<VideoRequest> batch = new ArrayList<>();
                for (int i = 0; i < n; i++) batch.add(new VideoRequest("a car " + i, LtxProviderTest.SMALL.withSeed(i)));
                CostEstimate estimate = model.estimate(batch);
                Measured m = run(model, batch);
                report("ltx batch " + n, estimate, m);
                assertThat(estimate.peakBytes()).isEqualTo(m.bufferBytes); // untiled: the largest graph's plan is the peak
                assertThat(estimate.flops()).isCloseTo(m.flops, org.assertj.core.data.Percentage.withPercentage(1));
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void batchEstimatesGrowWithTheBatch() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        try (var model = (BatchModel<ImageRequest, ImageResult>) new AmusedProvider().open(AmusedProviderTest.CHECKPOINT, 2)) {
            ImageRequest r = new ImageRequest("a cat", AmusedProviderTest.FAST);
            long one = model.estimate(List.of(r)).peakBytes(), four = model.estimate(List.of(r, r, r, r)).peakBytes();
            assertThat(four).isGreaterThan(one);
            CostEstimate big = model.estimate(List.of(new ImageRequest("a cat", AmusedProviderTest.FAST.withSize(256, 256))));
            assertThat(big.peakBytes()).isGreaterThan(one);
            assertThat(big.what()).isEqualTo("this 256×256 image");
        }
    }

    record Measured(long bufferBytes, double flops) {}

    private static <Q, R> Measured run(BatchModel<Q, R> model, List<Q> batch) throws Exception {
        GraphStats.reset();
        List<BatchItem<Q>> items = batch.stream().map(q -> new BatchItem<>(q, ProgressListener.NONE)).toList();
        model.run(items, ProgressListener.NONE);
        long buffer = 0;
        double flops = 0;
        for (GraphStats.Entry e : GraphStats.entries()) {
            buffer = Math.max(buffer, GraphStats.bufferBytes(e.label()));
            flops += e.flops();
        }
        return new Measured(buffer, flops);
    }

    private static void report(String what, CostEstimate e, Measured m) {
        System.out.printf(Locale.ROOT, "%s: estimated %d B, %.4g FLOPs; measured largest buffer %d B, %.4g FLOPs (%s)%n", what, e.peakBytes(), e.flops(),
                m.bufferBytes, m.flops, GraphStats.entries().stream().map(x -> x.label() + "=" + GraphStats.bufferBytes(x.label())).toList());
    }
}
