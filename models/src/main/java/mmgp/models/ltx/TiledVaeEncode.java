package mmgp.models.ltx;

import java.util.List;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;

/**
 * Encodes a {@link VaeTilePlan#forEncode} plan's tiles with {@link LtxVaeEncoder#build};
 * {@link TiledVae} blends and crops the encoder's raw output (conv_out's latent_channels + 1
 * moment channels, before the log variance is clamped) as diffusers 0.33.1's
 * {@code tiled_encode} and {@code _temporal_tiled_encode} blend {@code h} before
 * {@code DiagonalGaussianDistribution} splits it. Tiles of one size (frames × pixel rows ×
 * pixel columns) share a graph.
 */
final class TiledVaeEncode extends TiledVae<TiledVaeEncode.EncodeGraph> {
    record EncodeGraph(LtxVaeEncoder.EncodeGraph built, int[] latent, long bytes) implements TiledVae.TileGraph {
        @Override
        public Graph graph() {
            return built.graph();
        }
    }

    private final LtxVaeEncoder encoder;
    private final ComputeBackend backend;
    private final float[] video;
    private final int batch, frames, height, width, inPlanes, outPlanes;

    /**
     * {@code video} (B, in_channels, F, H, W) in PyTorch order, as {@link LtxVaeEncoder#encodeVideo} takes it;
     * {@code latent} its whole encode's latent shape ({@link LtxVaeEncoder#latentShape}).
     */
    TiledVaeEncode(LtxVaeEncoder encoder, ComputeBackend backend, float[] video, int batch, int frames, int height, int width, int[] latent,
                   VaeTiling tiling, String stage) {
        super(VaeTilePlan.forEncode(tiling, encoder.config(), frames, height, width, latent), batch * (encoder.config().latentChannels() + 1), tiling.memoryBytes(), stage);
        this.encoder = encoder;
        this.backend = backend;
        this.video = video;
        this.batch = batch;
        this.frames = frames;
        this.height = height;
        this.width = width;
        this.inPlanes = batch * encoder.config().inChannels();
        this.outPlanes = batch * (encoder.config().latentChannels() + 1);
    }

    /** The encoded tile's moments, all its latent frames (the plan drops a temporal tile's first one). */
    @Override
    protected Block compute(int k, int i, int j) {
        VaeTilePlan.Axis fa = plan.frames, ra = plan.rows, ca = plan.cols;
        int f = fa.size(k), h = ra.size(i), w = ca.size(j);
        EncodeGraph tg = graph(List.of(f, h, w), () -> build(f, h, w));
        tg.graph().set(tg.built().video(), slice(video, inPlanes, frames, height, width, fa.start(k), f, ra.start(i), h, ca.start(j), w));
        tg.graph().compute();
        return new Block(tg.graph().floats(tg.built().moments()), outPlanes, tg.latent()[0], tg.latent()[1], tg.latent()[2]);
    }

    private EncodeGraph build(int f, int h, int w) {
        LtxVaeEncoder.EncodeGraph built = encoder.encodeGraph(backend, batch, f, h, w);
        return new EncodeGraph(built, encoder.latentShape(f, h, w), built.graph().plannedBufferBytes());
    }
}
