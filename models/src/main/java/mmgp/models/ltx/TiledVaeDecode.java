package mmgp.models.ltx;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;

/**
 * Decodes a {@link VaeTilePlan}'s tiles with {@link LtxVaeDecoder#build}; {@link TiledVae}
 * blends and crops them as diffusers 0.33.1's {@code tiled_decode} and
 * {@code _temporal_tiled_decode} do. Tiles of one size (latent frames × rows × columns) share a
 * graph.
 */
final class TiledVaeDecode extends TiledVae<TiledVaeDecode.DecodeGraph> {
    record DecodeGraph(Graph graph, Tensor latents, Tensor video, List<Tensor> noise, long bytes) implements TiledVae.TileGraph {}

    private final LtxVaeDecoder decoder;
    private final ComputeBackend backend;
    private final float[] latents, decodeTimestep;
    private final long noiseSeed;
    private final int batch, frames, height, width, latentPlanes, outPlanes;
    private List<float[]> noisePlanes;

    TiledVaeDecode(LtxVaeDecoder decoder, ComputeBackend backend, float[] latents, float[] decodeTimestep, long noiseSeed,
                   int batch, int frames, int height, int width, VaeTiling tiling) {
        super(VaeTilePlan.of(tiling, decoder.config(), frames, height, width), batch * decoder.config().outChannels(), tiling.memoryBytes(), "decode");
        this.decoder = decoder;
        this.backend = backend;
        this.latents = latents;
        this.decodeTimestep = decodeTimestep;
        this.noiseSeed = noiseSeed;
        this.batch = batch;
        this.frames = frames;
        this.height = height;
        this.width = width;
        this.latentPlanes = batch * decoder.config().latentChannels();
        this.outPlanes = batch * decoder.config().outChannels();
    }

    /** The decoded tile, all its frames (the plan drops a temporal tile's last one). */
    @Override
    protected Block compute(int k, int i, int j) {
        VaeTilePlan.Axis fa = plan.frames, ra = plan.rows, ca = plan.cols;
        int f = fa.size(k), h = ra.size(i), w = ca.size(j);
        DecodeGraph tg = graph(List.of(f, h, w), () -> build(f, h, w));
        tg.graph().set(tg.latents(), slice(latents, latentPlanes, frames, height, width, fa.start(k), f, ra.start(i), h, ca.start(j), w));
        for (int n = 0; n < noisePlanes.size(); n++) setNoiseWindow(tg.graph(), tg.noise().get(n), noisePlanes.get(n), h, w, ra.start(i), ca.start(j));
        tg.graph().compute();
        int up = decoder.config().decoderSpatialUpscale();
        return new Block(tg.graph().floats(tg.video()), outPlanes, decoder.config().decodedFrames(f), h * up, w * up);
    }

    private DecodeGraph build(int f, int h, int w) {
        Graph g = decoder.newGraph(backend, f);
        try {
            Tensor in = g.inputF32("latents", w, h, f, latentPlanes);
            Tensor timestep = decodeTimestep == null ? null : g.inputF32("decode_timestep", batch);
            LtxVaeDecoder.Output built = decoder.build(g, in, timestep, batch);
            Tensor out = g.output(g.name(built.video(), "ltx_vae_decoded"));
            if (timestep != null) g.set(timestep, decodeTimestep);
            if (noisePlanes == null) noisePlanes = noisePlanes(built.noise(), h, w);
            return new DecodeGraph(g, in, out, built.noise(), g.plannedBufferBytes());
        } catch (RuntimeException | Error e) {
            g.close();
            throw e;
        }
    }

    /**
     * One standard normal plane per noise input, over the whole frame at that input's stage
     * resolution (a tile of th × tw latents maps to its [W, H]), drawn in forward order from the
     * seed: diffusers draws them from torch's global generator, which the pipeline does not
     * seed, so no particular stream is owed, only a reproducible one that tiles agree on.
     */
    private List<float[]> noisePlanes(List<Tensor> inputs, int th, int tw) {
        List<float[]> planes = new ArrayList<>();
        if (inputs.isEmpty()) return planes;
        SplittableRandom random = new SplittableRandom(noiseSeed);
        for (Tensor in : inputs) {
            long rows = in.ne(1) / th * height, cols = in.ne(0) / tw * width;
            float[] plane = new float[Math.toIntExact(rows * cols)];
            for (int i = 0; i < plane.length; i += 2) {
                // Box–Muller: two independent normals from two uniforms.
                double r = Math.sqrt(-2 * Math.log(1 - random.nextDouble())), a = 2 * Math.PI * random.nextDouble();
                plane[i] = (float) (r * Math.cos(a));
                if (i + 1 < plane.length) plane[i + 1] = (float) (r * Math.sin(a));
            }
            planes.add(plane);
        }
        return planes;
    }

    /** Copies the tile's window (latent rows y0.., columns x0..) of a whole-frame noise plane into its input. */
    private void setNoiseWindow(Graph g, Tensor input, float[] plane, int th, int tw, int y0, int x0) {
        int sh = Math.toIntExact(input.ne(1) / th), sw = Math.toIntExact(input.ne(0) / tw);
        int rows = th * sh, cols = tw * sw, fullW = width * sw;
        float[] window = new float[rows * cols];
        for (int y = 0; y < rows; y++) System.arraycopy(plane, (y0 * sh + y) * fullW + x0 * sw, window, y * cols, cols);
        g.set(input, window);
    }
}
