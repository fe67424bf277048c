package mmgp.models.ltx;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import mmgp.api.ProgressListener;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;

/**
 * Runs a {@link VaeTilePlan}: decodes each tile with {@link LtxVaeDecoder#build} and blends
 * and crops the tiles as diffusers 0.33.1's {@code tiled_decode} and {@code _temporal_tiled_decode}
 * do. A blend mixes a tile's first e samples with the previous tile's last e (e = min(both
 * lengths, blend)): {@code b[x] = a[−e + x]·(1 − x/e) + b[x]·x/e}, in place, so a tile blended
 * into its successor has itself already been blended with its own predecessors (diffusers
 * reads rows[i−1][j] and row[j−1] after modifying them). Row-major order within a temporal tile;
 * only the previous row of spatial tiles and the previous temporal tile are kept.
 *
 * <p>Tiles of one size (latent frames × rows × columns) share a graph; graphs of other sizes are
 * cached beside it while their planned compute buffers sum to at most the tiling's memoryBytes
 * (0: twice the first, largest tile's), least recently used first out.
 */
final class TiledVaeDecode implements AutoCloseable {
    /** A decoded (part of a) video, PyTorch (planes = B·C, frames, height, width). */
    private record Block(float[] data, int planes, int frames, int height, int width) {
        Block(int planes, int frames, int height, int width) {
            this(new float[Math.toIntExact((long) planes * frames * height * width)], planes, frames, height, width);
        }

        int[] dims() {
            return new int[] {planes, frames, height, width};
        }
    }

    private record TileGraph(Graph graph, Tensor latents, Tensor video, List<Tensor> noise, long bytes) {}

    private final LtxVaeDecoder decoder;
    private final ComputeBackend backend;
    private final float[] latents, decodeTimestep;
    private final long noiseSeed;
    private final int batch, frames, height, width, latentPlanes, outPlanes;
    private final VaeTilePlan plan;
    private final long memoryBytes;
    private final LinkedHashMap<List<Integer>, TileGraph> graphs = new LinkedHashMap<>(8, 0.75f, true);
    private long cacheCap = -1, cachedBytes;
    private List<float[]> noisePlanes;

    TiledVaeDecode(LtxVaeDecoder decoder, ComputeBackend backend, float[] latents, float[] decodeTimestep, long noiseSeed,
                   int batch, int frames, int height, int width, VaeTiling tiling) {
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
        this.plan = VaeTilePlan.of(tiling, decoder.config(), frames, height, width);
        this.memoryBytes = tiling.memoryBytes();
    }

    /** The raw video (B, out_channels, F, H, W) in PyTorch order; reports each tile as a "decode" step. */
    float[] run(ProgressListener listener) {
        VaeTilePlan.Axis fa = plan.frames;
        Block video = new Block(outPlanes, fa.samples(), plan.rows.samples(), plan.cols.samples());
        int total = plan.tileCount();
        int[] done = {0};
        Block previous = null;
        for (int k = 0; k < fa.count(); k++) {
            Block current = decodeFrames(k, listener, done, total);
            if (k > 0) blend(previous, current, 1, fa.blend());
            copyFrames(current, video, fa.keep(k), fa.offset(k));
            previous = current;
        }
        return video.data();
    }

    /** Temporal tile k, every spatial tile decoded, blended and cropped into full frames. */
    private Block decodeFrames(int k, ProgressListener listener, int[] done, int total) {
        VaeTilePlan.Axis ra = plan.rows, ca = plan.cols;
        if (ra.count() == 1 && ca.count() == 1) return decodeTile(k, 0, 0, listener, done, total);
        Block out = new Block(outPlanes, plan.frames.length(k), ra.samples(), ca.samples());
        Block[] above = null;
        for (int i = 0; i < ra.count(); i++) {
            Block[] row = new Block[ca.count()];
            for (int j = 0; j < ca.count(); j++) {
                Block tile = decodeTile(k, i, j, listener, done, total);
                if (i > 0) blend(above[j], tile, 2, ra.blend());
                if (j > 0) blend(row[j - 1], tile, 3, ca.blend());
                row[j] = tile;
                place(tile, out, ra.keep(i), ca.keep(j), ra.offset(i), ca.offset(j));
            }
            above = row;
        }
        return out;
    }

    private Block decodeTile(int k, int i, int j, ProgressListener listener, int[] done, int total) {
        VaeTilePlan.Axis fa = plan.frames, ra = plan.rows, ca = plan.cols;
        int f = fa.size(k), h = ra.size(i), w = ca.size(j);
        listener.checkCancelled("decode tile " + (done[0] + 1) + " of " + total);
        long t0 = System.nanoTime();
        TileGraph tg = graph(f, h, w);
        tg.graph().set(tg.latents(), slice(fa.start(k), f, ra.start(i), h, ca.start(j), w));
        for (int n = 0; n < noisePlanes.size(); n++) setNoiseWindow(tg.graph(), tg.noise().get(n), noisePlanes.get(n), h, w, ra.start(i), ca.start(j));
        tg.graph().compute();
        float[] decoded = tg.graph().floats(tg.video());
        int up = decoder.config().decoderSpatialUpscale(), decodedFrames = decoder.config().decodedFrames(f);
        Block tile = new Block(decoded, outPlanes, decodedFrames, h * up, w * up);
        if (fa.length(k) < decodedFrames) tile = firstFrames(tile, fa.length(k)); // _temporal_tiled_decode drops the last frame
        done[0]++;
        listener.step("decode", done[0], total, (System.nanoTime() - t0) / 1e9);
        return tile;
    }

    /** The graph for tiles of f × h × w latents, built on first use; evicts others beyond the memory cap. */
    private TileGraph graph(int f, int h, int w) {
        List<Integer> key = List.of(f, h, w);
        TileGraph cached = graphs.get(key);
        if (cached != null) return cached;
        Graph g = decoder.newGraph(backend, f);
        try {
            Tensor in = g.inputF32("latents", w, h, f, latentPlanes);
            Tensor timestep = decodeTimestep == null ? null : g.inputF32("decode_timestep", batch);
            LtxVaeDecoder.Output built = decoder.build(g, in, timestep, batch);
            Tensor out = g.output(g.name(built.video(), "ltx_vae_decoded"));
            if (timestep != null) g.set(timestep, decodeTimestep);
            if (noisePlanes == null) noisePlanes = noisePlanes(built.noise(), h, w);
            TileGraph tg = new TileGraph(g, in, out, built.noise(), g.plannedBufferBytes());
            if (cacheCap < 0) cacheCap = memoryBytes > 0 ? memoryBytes : 2 * tg.bytes();
            Iterator<Map.Entry<List<Integer>, TileGraph>> lru = graphs.entrySet().iterator();
            while (lru.hasNext() && cachedBytes + tg.bytes() > cacheCap) {
                TileGraph old = lru.next().getValue();
                old.graph().close();
                cachedBytes -= old.bytes();
                lru.remove();
            }
            graphs.put(key, tg);
            cachedBytes += tg.bytes();
            return tg;
        } catch (RuntimeException | Error e) {
            g.close();
            throw e;
        }
    }

    /** The latents (planes, frames f0.., rows y0.., columns x0..) of one tile. */
    private float[] slice(int f0, int f, int y0, int h, int x0, int w) {
        if (f == frames && h == height && w == width) return latents;
        float[] out = new float[latentPlanes * f * h * w];
        int o = 0;
        for (int p = 0; p < latentPlanes; p++)
            for (int t = 0; t < f; t++)
                for (int y = 0; y < h; y++, o += w)
                    System.arraycopy(latents, ((p * frames + f0 + t) * height + y0 + y) * width + x0, out, o, w);
        return out;
    }

    private static Block firstFrames(Block b, int n) {
        Block out = new Block(b.planes(), n, b.height(), b.width());
        int frame = b.height() * b.width();
        for (int p = 0; p < b.planes(); p++) System.arraycopy(b.data(), p * b.frames() * frame, out.data(), p * n * frame, n * frame);
        return out;
    }

    /**
     * diffusers' blend_t (axis 1), blend_v (2), blend_h (3): the first e = min(a's, b's length
     * on the axis, extent) positions of b become {@code a[−e + x]·(1 − x/e) + b[x]·(x/e)}, in place,
     * with the weights rounded to float as torch does for a Python scalar.
     */
    private static void blend(Block a, Block b, int axis, int extent) {
        int[] da = a.dims(), db = b.dims();
        for (int d = 0; d < 4; d++) {
            if (d != axis && da[d] != db[d]) throw new IllegalStateException("blended tiles differ off the blend axis: " + java.util.Arrays.toString(da) + " vs " + java.util.Arrays.toString(db));
        }
        int e = Math.min(Math.min(da[axis], db[axis]), extent);
        if (e <= 0) return;
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= db[d];
        for (int d = axis + 1; d < 4; d++) inner *= db[d];
        float[] av = a.data(), bv = b.data();
        for (int x = 0; x < e; x++) {
            float wa = (float) (1 - (double) x / e), wb = (float) ((double) x / e);
            for (int o = 0; o < outer; o++) {
                int ai = (o * da[axis] + da[axis] - e + x) * inner, bi = (o * db[axis] + x) * inner;
                for (int n = 0; n < inner; n++) bv[bi + n] = av[ai + n] * wa + bv[bi + n] * wb;
            }
        }
    }

    /** Copies the first {@code keep} frames of {@code from} into {@code to} at frame {@code offset} (same planes and frame size). */
    private static void copyFrames(Block from, Block to, int keep, int offset) {
        int frame = from.height() * from.width();
        for (int p = 0; p < from.planes(); p++) {
            System.arraycopy(from.data(), p * from.frames() * frame, to.data(), (p * to.frames() + offset) * frame, keep * frame);
        }
    }

    /** Copies the tile's top-left keepH × keepW pixels of every frame into {@code to} at (y0, x0). */
    private static void place(Block tile, Block to, int keepH, int keepW, int y0, int x0) {
        for (int p = 0; p < tile.planes(); p++)
            for (int f = 0; f < tile.frames(); f++)
                for (int y = 0; y < keepH; y++) {
                    int src = ((p * tile.frames() + f) * tile.height() + y) * tile.width();
                    int dst = ((p * to.frames() + f) * to.height() + y0 + y) * to.width() + x0;
                    System.arraycopy(tile.data(), src, to.data(), dst, keepW);
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

    @Override
    public void close() {
        graphs.values().forEach(tg -> tg.graph().close());
        graphs.clear();
        cachedBytes = 0;
    }
}
