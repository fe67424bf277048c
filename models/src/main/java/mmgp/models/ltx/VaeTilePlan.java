package mmgp.models.ltx;

import java.util.Arrays;

/**
 * The tiles of one LTX-Video VAE decode or encode under {@link VaeTiling}, placed as diffusers
 * 0.33.1's {@code AutoencoderKLLTXVideo} places them. A tile is one entry of each {@link Axis}:
 * frames × rows × columns.
 *
 * <p>Decode ({@link #of}): which path {@code _decode} takes: the temporal one
 * ({@code _temporal_tiled_decode}) when framewise decoding is on and F' > minFrames // 8; its
 * tiles are then spatially tiled ({@code tiled_decode}) when W' > minWidth // 32 or H' >
 * minHeight // 32. Without the temporal path, {@code _decode} tiles spatially when W' >
 * <em>strideWidth</em> // 32 or H' > minHeight // 32 — diffusers compares the width with the
 * stride there, and this plan does the same. Otherwise one tile covers everything. (8 and 32
 * stand for the config's temporal and spatial compression ratios.) Tiles start every
 * stride // ratio latents ({@code range(0, n, stride)}, so tail tiles may be short slivers) and
 * span min // ratio latents (temporal tiles one more), clipped at the edge.
 *
 * <p>Encode ({@link #forEncode}): {@code _encode} takes {@code _temporal_tiled_encode} when
 * framewise decoding (sic: diffusers reads the decoding flag) is on and F > minFrames, whose
 * tiles are spatially tiled ({@code tiled_encode}) when W > minWidth or H > minHeight, the
 * test {@code _encode} also makes without the temporal path. Tiles start every stride pixels
 * (frames) and span min pixels (min + 1 frames), clipped at the edge; every temporal tile after
 * the first drops its first latent frame. Here the sizes must lie on the latent grid
 * (multiples of the compression ratios): diffusers would encode misaligned tiles whose latents
 * do not line up with the whole encode's.
 *
 * <p>Tiles that would contribute nothing to the output (a temporal tail tile with no sample
 * left after its drop; tiles starting past the crop) are left out: diffusers computes them
 * and throws them away.
 */
final class VaeTilePlan {
    /**
     * Tiles along one axis: {@code start} and {@code size} in input units (latents for a decode,
     * pixels or frames for an encode); of a tile's output samples, the first {@code skip} are
     * dropped and the next {@code length} take part (temporal decode tiles after the first drop
     * their last frame, temporal encode tiles their first latent frame); {@code keep} of them
     * are copied to the output at {@code offset} after blending the first min(previous length,
     * length, {@code blend}) with the previous tile; {@code samples} the output length (the
     * concatenation is cropped to it).
     */
    record Axis(int[] start, int[] size, int[] skip, int[] length, int[] keep, int[] offset, int blend, int samples) {
        Axis {
            start = start.clone();
            size = size.clone();
            skip = skip.clone();
            length = length.clone();
            keep = keep.clone();
            offset = offset.clone();
        }

        int count() {
            return start.length;
        }

        int start(int k) {
            return start[k];
        }

        int size(int k) {
            return size[k];
        }

        int skip(int k) {
            return skip[k];
        }

        int length(int k) {
            return length[k];
        }

        int keep(int k) {
            return keep[k];
        }

        int offset(int k) {
            return offset[k];
        }

        /** Each tile's size along this axis, in input units. */
        int[] sizes() {
            return size.clone();
        }

        /** Input units read along this axis, summed over the tiles (overlaps counted each time). */
        long work() {
            return Arrays.stream(size).asLongStream().sum();
        }

        /** One tile of all {@code inputs}, giving {@code samples}. */
        static Axis whole(int inputs, int samples) {
            return new Axis(new int[] {0}, new int[] {inputs}, new int[] {0}, new int[] {samples}, new int[] {samples}, new int[] {0}, 0, samples);
        }

        /** diffusers' {@code tiled_decode} along height or width. */
        static Axis spatial(int latents, int min, int stride, int ratio) {
            int minLatents = min / ratio, strideLatents = stride / ratio, samples = latents * ratio;
            Builder b = new Builder();
            for (int i = 0; i < latents && b.offset < samples; i += strideLatents) {
                int size = Math.min(minLatents, latents - i), length = size * ratio;
                b.add(i, size, 0, length, Math.min(Math.min(stride, length), samples - b.offset));
            }
            return b.build(min - stride, samples);
        }

        /** diffusers' {@code _temporal_tiled_decode}: tiles of minFrames // ratio + 1 latent frames; all but the first drop their last frame. */
        static Axis temporal(int latents, int minFrames, int strideFrames, LtxVaeConfig config) {
            int ratio = config.temporalCompressionRatio();
            int minLatents = minFrames / ratio, strideLatents = strideFrames / ratio, samples = (latents - 1) * ratio + 1;
            Builder b = new Builder();
            for (int i = 0; i < latents && b.offset < samples; i += strideLatents) {
                int size = Math.min(minLatents + 1, latents - i);
                int length = config.decodedFrames(size) - (i > 0 ? 1 : 0);
                int keep = Math.min(Math.min(i == 0 ? strideFrames + 1 : strideFrames, length), samples - b.offset);
                if (keep <= 0) break; // a one-latent tail tile: nothing left after dropping its frame, nor after it
                b.add(i, size, 0, length, keep);
            }
            return b.build(minFrames - strideFrames, samples);
        }

        /** diffusers' {@code tiled_encode} along height or width: min-pixel tiles every stride pixels, blended over (min − stride) // ratio latents. */
        static Axis spatialEncode(int pixels, int min, int stride, int ratio) {
            int strideLatents = stride / ratio, samples = pixels / ratio;
            Builder b = new Builder();
            for (int i = 0; i < pixels && b.offset < samples; i += stride) {
                int length = Math.min(min, pixels - i) / ratio;
                b.add(i, Math.min(min, pixels - i), 0, length, Math.min(Math.min(strideLatents, length), samples - b.offset));
            }
            return b.build(min / ratio - strideLatents, samples);
        }

        /**
         * diffusers' {@code _temporal_tiled_encode}: tiles of minFrames + 1 frames every
         * strideFrames; a tile of n frames encodes to (n − 1) // ratio + 1 latent frames, of
         * which all tiles but the first drop the first (their own first frame's, which the
         * previous tile encoded as part of a group).
         */
        static Axis temporalEncode(int frames, int minFrames, int strideFrames, int ratio) {
            int strideLatents = strideFrames / ratio, samples = (frames - 1) / ratio + 1;
            Builder b = new Builder();
            for (int i = 0; i < frames && b.offset < samples; i += strideFrames) {
                int size = Math.min(minFrames + 1, frames - i), skip = i > 0 ? 1 : 0;
                int length = (size - 1) / ratio + 1 - skip;
                int keep = Math.min(Math.min(i == 0 ? strideLatents + 1 : strideLatents, length), samples - b.offset);
                if (keep <= 0) break; // a one-frame tail tile: its only latent frame is dropped
                b.add(i, size, skip, length, keep);
            }
            return b.build(minFrames / ratio - strideLatents, samples);
        }
    }

    private static final class Builder {
        private final int[][] columns = new int[6][16];
        private int n, offset;

        void add(int start, int size, int skip, int length, int keep) {
            if (n == columns[0].length) for (int c = 0; c < columns.length; c++) columns[c] = Arrays.copyOf(columns[c], 2 * n);
            int[] row = {start, size, skip, length, keep, offset};
            for (int c = 0; c < columns.length; c++) columns[c][n] = row[c];
            n++;
            offset += keep;
        }

        Axis build(int blend, int samples) {
            if (offset != samples) throw new IllegalStateException("tiles cover " + offset + " of " + samples + " samples");
            int[][] c = new int[columns.length][];
            for (int i = 0; i < c.length; i++) c[i] = Arrays.copyOf(columns[i], n);
            return new Axis(c[0], c[1], c[2], c[3], c[4], c[5], blend, samples);
        }
    }

    final Axis frames, rows, cols;

    private VaeTilePlan(Axis frames, Axis rows, Axis cols) {
        this.frames = frames;
        this.rows = rows;
        this.cols = cols;
    }

    /** The tiles of decoding {@code latentFrames × latentHeight × latentWidth} latents with {@code tiling}. */
    static VaeTilePlan of(VaeTiling tiling, LtxVaeConfig config, int latentFrames, int latentHeight, int latentWidth) {
        if (latentFrames < 1 || latentHeight < 1 || latentWidth < 1) {
            throw new IllegalArgumentException("latent sizes must be positive, got " + latentFrames + "×" + latentHeight + "×" + latentWidth);
        }
        int sr = config.spatialCompressionRatio(), tr = config.temporalCompressionRatio();
        int height = latentHeight * sr, width = latentWidth * sr;
        if (config.decoderSpatialUpscale() != sr || config.decodedFrames(2) - 1 != tr) {
            throw new IllegalArgumentException("tiled decoding needs the decoder to upscale by the config's compression ratios (" + sr + ", " + tr
                    + "), it upscales by (" + config.decoderSpatialUpscale() + ", " + (config.decodedFrames(2) - 1) + ")");
        }
        if (tiling.spatial()) {
            atLeast("minHeight", tiling.minHeight(), "spatial", sr);
            atLeast("minWidth", tiling.minWidth(), "spatial", sr);
            atLeast("strideHeight", tiling.strideHeight(), "spatial", sr);
            atLeast("strideWidth", tiling.strideWidth(), "spatial", sr);
        }
        if (tiling.framewise()) {
            atLeast("minFrames", tiling.minFrames(), "temporal", tr);
            atLeast("strideFrames", tiling.strideFrames(), "temporal", tr);
        }
        boolean temporal = tiling.framewise() && latentFrames > tiling.minFrames() / tr;
        // _decode's spatial test compares the width with tile_sample_stride_width // ratio (sic); _temporal_tiled_decode's with the min width.
        int widthLimit = (temporal ? tiling.minWidth() : tiling.strideWidth()) / sr;
        boolean spatial = tiling.spatial() && (latentWidth > widthLimit || latentHeight > tiling.minHeight() / sr);
        Axis frames = temporal ? Axis.temporal(latentFrames, tiling.minFrames(), tiling.strideFrames(), config)
                : Axis.whole(latentFrames, config.decodedFrames(latentFrames));
        Axis rows = spatial ? Axis.spatial(latentHeight, tiling.minHeight(), tiling.strideHeight(), sr) : Axis.whole(latentHeight, height);
        Axis cols = spatial ? Axis.spatial(latentWidth, tiling.minWidth(), tiling.strideWidth(), sr) : Axis.whole(latentWidth, width);
        return new VaeTilePlan(frames, rows, cols);
    }

    /**
     * The tiles of encoding a video on the latent grid, {@code frames × height × width} (1 +
     * k·temporal ratio frames, multiples of the spatial ratio in pixels), with {@code tiling}:
     * {@link #forEncode(VaeTiling, LtxVaeConfig, int, int, int, int[])} with the grid's latents.
     */
    static VaeTilePlan forEncode(VaeTiling tiling, LtxVaeConfig config, int frames, int height, int width) {
        requireOnGrid(config, frames, height, width, true, true);
        int sr = config.spatialCompressionRatio(), tr = config.temporalCompressionRatio();
        return forEncode(tiling, config, frames, height, width, new int[] {(frames - 1) / tr + 1, height / sr, width / sr});
    }

    /**
     * The tiles of encoding a video of {@code frames × height × width} whose whole encode gives
     * {@code latent} (F', H', W', {@link LtxVaeEncoder#latentShape}) with {@code tiling}: sizes
     * and strides in the units diffusers takes them (pixels, frames), which here must be
     * multiples of the compression ratios. An axis that is split must lie on the latent grid
     * (frames 1 + k·temporal ratio, pixels multiples of the spatial ratio); one that is not is
     * encoded whole, as the plain encode takes it.
     */
    static VaeTilePlan forEncode(VaeTiling tiling, LtxVaeConfig config, int frames, int height, int width, int[] latent) {
        int sr = config.spatialCompressionRatio(), tr = config.temporalCompressionRatio();
        if (frames < 1 || height < 1 || width < 1) throw new IllegalArgumentException("video sizes must be positive, got " + frames + "×" + height + "×" + width);
        if (latent.length != 3 || latent[0] < 1 || latent[1] < 1 || latent[2] < 1) {
            throw new IllegalArgumentException("the whole encode's latent shape must be 3 positive sizes, got " + Arrays.toString(latent));
        }
        if (tiling.spatial()) {
            onGrid("minHeight", tiling.minHeight(), "spatial", sr);
            onGrid("minWidth", tiling.minWidth(), "spatial", sr);
            onGrid("strideHeight", tiling.strideHeight(), "spatial", sr);
            onGrid("strideWidth", tiling.strideWidth(), "spatial", sr);
        }
        if (tiling.framewise()) {
            onGrid("minFrames", tiling.minFrames(), "temporal", tr);
            onGrid("strideFrames", tiling.strideFrames(), "temporal", tr);
        }
        boolean temporal = tiling.framewise() && frames > tiling.minFrames();
        boolean spatial = tiling.spatial() && (width > tiling.minWidth() || height > tiling.minHeight());
        requireOnGrid(config, frames, height, width, temporal, spatial);
        Axis f = temporal ? Axis.temporalEncode(frames, tiling.minFrames(), tiling.strideFrames(), tr) : Axis.whole(frames, latent[0]);
        Axis rows = spatial ? Axis.spatialEncode(height, tiling.minHeight(), tiling.strideHeight(), sr) : Axis.whole(height, latent[1]);
        Axis cols = spatial ? Axis.spatialEncode(width, tiling.minWidth(), tiling.strideWidth(), sr) : Axis.whole(width, latent[2]);
        if (f.samples() != latent[0] || rows.samples() != latent[1] || cols.samples() != latent[2]) {
            throw new IllegalArgumentException("tiles of a " + frames + "×" + height + "×" + width + " video give " + f.samples() + "×" + rows.samples() + "×"
                    + cols.samples() + " latents, the whole encode " + Arrays.toString(latent));
        }
        return new VaeTilePlan(f, rows, cols);
    }

    /**
     * Refuses a video whose split axes are off the latent grid: encoder tiles must start and end
     * on it, 1 + k·temporal ratio frames when the frames are split ({@code temporal}), multiples
     * of the spatial ratio in pixels when height and width are ({@code spatial}).
     */
    static void requireOnGrid(LtxVaeConfig config, int frames, int height, int width, boolean temporal, boolean spatial) {
        int sr = config.spatialCompressionRatio(), tr = config.temporalCompressionRatio();
        if (temporal && (frames - 1) % tr != 0 || spatial && (height % sr != 0 || width % sr != 0)) {
            String needs = temporal && spatial ? "1 + " + tr + "·k frames and multiples of " + sr + " pixels"
                    : temporal ? "1 + " + tr + "·k frames" : "multiples of " + sr + " pixels";
            throw new IllegalArgumentException("a " + frames + "×" + height + "×" + width + " video is off the latent grid: encoding it in "
                    + (temporal && spatial ? "temporal and spatial" : temporal ? "temporal" : "spatial") + " tiles needs " + needs);
        }
    }

    int tileCount() {
        return frames.count() * rows.count() * cols.count();
    }

    /** Input units read over all tiles (overlaps counted each time): the work of the plan. */
    long work() {
        return frames.work() * rows.work() * cols.work();
    }

    private static void atLeast(String name, int v, String kind, int ratio) {
        if (v < ratio) {
            throw new IllegalArgumentException("VaeTiling: " + name + " " + v + " is below the " + kind + " compression ratio " + ratio
                    + " (it must span at least one latent)");
        }
    }

    private static void onGrid(String name, int v, String kind, int ratio) {
        if (v % ratio != 0) {
            throw new IllegalArgumentException("VaeTiling: " + name + " " + v + " is not a multiple of the " + kind + " compression ratio " + ratio
                    + " (encoder tiles must start and end on the latent grid)");
        }
    }
}
