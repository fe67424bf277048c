package mmgp.models.ltx;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import mmgp.api.ProgressListener;
import mmgp.graph.Graph;

/**
 * Runs a {@link VaeTilePlan} for a VAE decode ({@link TiledVaeDecode}) or encode
 * ({@link TiledVaeEncode}): computes each tile through the subclass, then blends and crops the
 * tiles' outputs as diffusers 0.33.1's {@code tiled_decode} / {@code tiled_encode} and
 * {@code _temporal_tiled_decode} / {@code _temporal_tiled_encode} do. A blend mixes a tile's
 * first e samples with the previous tile's last e (e = min(both lengths, blend)):
 * {@code b[x] = a[−e + x]·(1 − x/e) + b[x]·x/e}, in place, so a tile blended into its successor
 * has itself already been blended with its own predecessors (diffusers reads rows[i−1][j] and
 * row[j−1] after modifying them). Row-major order within a temporal tile; only the previous row
 * of spatial tiles and the previous temporal tile are kept.
 *
 * <p>Tiles of one size share a graph; graphs of other sizes are cached beside it while their
 * planned compute buffers sum to at most the tiling's memoryBytes (0: twice the first, largest
 * tile's), least recently used first out.
 *
 * @param <G> the subclass's graph of one tile size
 */
abstract class TiledVae<G extends TiledVae.TileGraph> implements AutoCloseable {
    /** A (part of a) video or latent video, PyTorch (planes = B·C, frames, height, width). */
    record Block(float[] data, int planes, int frames, int height, int width) {
        Block(int planes, int frames, int height, int width) {
            this(new float[Math.toIntExact((long) planes * frames * height * width)], planes, frames, height, width);
        }

        int[] dims() {
            return new int[] {planes, frames, height, width};
        }
    }

    /** A built graph for tiles of one size and its planned compute buffer. */
    interface TileGraph {
        Graph graph();

        long bytes();
    }

    protected final VaeTilePlan plan;
    private final int outPlanes;
    private final String stage;
    private final GraphCache<G> graphs;

    /**
     * @param outPlanes batch × output channels
     * @param stage     the name of the progress steps, one per tile ("decode": "decode tile k of n" when cancelled)
     */
    TiledVae(VaeTilePlan plan, int outPlanes, long memoryBytes, String stage) {
        this.plan = plan;
        this.outPlanes = outPlanes;
        this.stage = stage;
        this.graphs = new GraphCache<>(memoryBytes, TileGraph::bytes, tg -> tg.graph().close());
    }

    /**
     * The whole output of tile (k, i, j) of the plan (frames k, rows i, columns j), before the
     * temporal axis's skip and length apply.
     */
    protected abstract Block compute(int k, int i, int j);

    /** The output (B, C, F, H, W) in PyTorch order; reports each tile as a step of the stage. */
    final float[] run(ProgressListener listener) {
        VaeTilePlan.Axis fa = plan.frames;
        Block out = new Block(outPlanes, fa.samples(), plan.rows.samples(), plan.cols.samples());
        int total = plan.tileCount();
        int[] done = {0};
        Block previous = null;
        for (int k = 0; k < fa.count(); k++) {
            Block current = frames(k, listener, done, total);
            if (k > 0) blend(previous, current, 1, fa.blend());
            copyFrames(current, out, fa.keep(k), fa.offset(k));
            previous = current;
        }
        return out.data();
    }

    /** Temporal tile k, every spatial tile computed, blended and cropped into whole frames. */
    private Block frames(int k, ProgressListener listener, int[] done, int total) {
        VaeTilePlan.Axis ra = plan.rows, ca = plan.cols;
        if (ra.count() == 1 && ca.count() == 1) return tile(k, 0, 0, listener, done, total);
        Block out = new Block(outPlanes, plan.frames.length(k), ra.samples(), ca.samples());
        Block[] above = null;
        for (int i = 0; i < ra.count(); i++) {
            Block[] row = new Block[ca.count()];
            for (int j = 0; j < ca.count(); j++) {
                Block tile = tile(k, i, j, listener, done, total);
                if (i > 0) blend(above[j], tile, 2, ra.blend());
                if (j > 0) blend(row[j - 1], tile, 3, ca.blend());
                row[j] = tile;
                place(tile, out, ra.keep(i), ca.keep(j), ra.offset(i), ca.offset(j));
            }
            above = row;
        }
        return out;
    }

    private Block tile(int k, int i, int j, ProgressListener listener, int[] done, int total) {
        listener.checkCancelled(stage + " tile " + (done[0] + 1) + " of " + total);
        long t0 = System.nanoTime();
        Block tile = compute(k, i, j);
        VaeTilePlan.Axis fa = plan.frames;
        int[] expected = {outPlanes, fa.skip(k) + fa.length(k), plan.rows.length(i), plan.cols.length(j)};
        int[] got = tile.dims();
        // A decode's temporal tile may give more frames than take part (the dropped last one).
        if (got[0] != expected[0] || got[1] < expected[1] || got[2] != expected[2] || got[3] != expected[3]) {
            throw new IllegalStateException(stage + " tile (" + k + ", " + i + ", " + j + ") gives " + Arrays.toString(got) + ", the plan expects " + Arrays.toString(expected));
        }
        if (fa.skip(k) > 0 || fa.length(k) < tile.frames()) tile = frameWindow(tile, fa.skip(k), fa.length(k));
        done[0]++;
        listener.step(stage, done[0], total, (System.nanoTime() - t0) / 1e9);
        return tile;
    }

    /** The cached graph for tiles of size {@code key}, else a new one from {@code build}; evicts others beyond the memory cap. */
    protected final G graph(List<Integer> key, Supplier<G> build) {
        return graphs.get(key, build);
    }

    /**
     * The most compute buffer a run of {@code plan} holds at once in its cached tile graphs
     * ({@link #graph}, capped by {@code memoryBytes}, 0: twice the first tile's), given each tile
     * size's planned buffer ({@code cost} of a tile's sizes in the plan's input units: latents
     * for a decode, frames and pixels for an encode): the graphs' cache
     * replayed over the tiles in the run's order, nothing built.
     */
    static long heldBytes(VaeTiling.TileCost cost, VaeTilePlan plan, long memoryBytes) {
        Map<List<Integer>, Long> planned = new HashMap<>();
        GraphCache<Long> cache = new GraphCache<>(memoryBytes, b -> b, b -> {});
        for (int k = 0; k < plan.frames.count(); k++)
            for (int i = 0; i < plan.rows.count(); i++)
                for (int j = 0; j < plan.cols.count(); j++) {
                    List<Integer> key = List.of(plan.frames.size(k), plan.rows.size(i), plan.cols.size(j));
                    cache.get(key, () -> planned.computeIfAbsent(key, x -> cost.bytes(x.get(0), x.get(1), x.get(2))));
                }
        return cache.peakBytes();
    }

    /**
     * Values (tile graphs) by tile size, least recently used first out while the sum of their
     * bytes would exceed the cap: {@code memoryBytes}, or when that is 0 twice the first value's.
     * A value larger than the cap on its own is still kept (alone).
     */
    private static final class GraphCache<V> {
        private final LinkedHashMap<List<Integer>, V> entries = new LinkedHashMap<>(8, 0.75f, true);
        private final long memoryBytes;
        private final ToLongFunction<V> bytes;
        private final Consumer<V> close;
        private long cap = -1, held, peak;

        GraphCache(long memoryBytes, ToLongFunction<V> bytes, Consumer<V> close) {
            this.memoryBytes = memoryBytes;
            this.bytes = bytes;
            this.close = close;
        }

        V get(List<Integer> key, Supplier<V> build) {
            V cached = entries.get(key);
            if (cached != null) return cached;
            V value = build.get();
            long size = bytes.applyAsLong(value);
            if (cap < 0) cap = memoryBytes > 0 ? memoryBytes : 2 * size;
            Iterator<Map.Entry<List<Integer>, V>> lru = entries.entrySet().iterator();
            while (lru.hasNext() && held + size > cap) {
                V old = lru.next().getValue();
                close.accept(old);
                held -= bytes.applyAsLong(old);
                lru.remove();
            }
            entries.put(key, value);
            held += size;
            peak = Math.max(peak, held);
            return value;
        }

        long peakBytes() {
            return peak;
        }

        void clear() {
            entries.values().forEach(close);
            entries.clear();
            held = 0;
        }
    }

    /**
     * The box (planes, frames f0.., rows y0.., columns x0..) of f × h × w out of {@code src}
     * (planes × frames × height × width); {@code src} itself when the box is all of it.
     */
    static float[] slice(float[] src, int planes, int frames, int height, int width, int f0, int f, int y0, int h, int x0, int w) {
        if (f == frames && h == height && w == width) return src;
        float[] out = new float[planes * f * h * w];
        int o = 0;
        for (int p = 0; p < planes; p++)
            for (int t = 0; t < f; t++)
                for (int y = 0; y < h; y++, o += w)
                    System.arraycopy(src, ((p * frames + f0 + t) * height + y0 + y) * width + x0, out, o, w);
        return out;
    }

    /** Frames {@code from} .. {@code from + n} of every plane. */
    private static Block frameWindow(Block b, int from, int n) {
        Block out = new Block(b.planes(), n, b.height(), b.width());
        int frame = b.height() * b.width();
        for (int p = 0; p < b.planes(); p++) System.arraycopy(b.data(), (p * b.frames() + from) * frame, out.data(), p * n * frame, n * frame);
        return out;
    }

    /**
     * diffusers' blend_t (axis 1), blend_v (2), blend_h (3): the first e = min(a's, b's length
     * on the axis, extent) positions of b become {@code a[−e + x]·(1 − x/e) + b[x]·(x/e)}, in place,
     * with the weights rounded to float as torch does for a Python scalar.
     */
    static void blend(Block a, Block b, int axis, int extent) {
        int[] da = a.dims(), db = b.dims();
        for (int d = 0; d < 4; d++) {
            if (d != axis && da[d] != db[d]) throw new IllegalStateException("blended tiles differ off the blend axis: " + Arrays.toString(da) + " vs " + Arrays.toString(db));
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

    /** Copies the tile's top-left keepH × keepW samples of every frame into {@code to} at (y0, x0). */
    private static void place(Block tile, Block to, int keepH, int keepW, int y0, int x0) {
        for (int p = 0; p < tile.planes(); p++)
            for (int f = 0; f < tile.frames(); f++)
                for (int y = 0; y < keepH; y++) {
                    int src = ((p * tile.frames() + f) * tile.height() + y) * tile.width();
                    int dst = ((p * to.frames() + f) * to.height() + y0 + y) * to.width() + x0;
                    System.arraycopy(tile.data(), src, to.data(), dst, keepW);
                }
    }

    @Override
    public void close() {
        graphs.clear();
    }
}
