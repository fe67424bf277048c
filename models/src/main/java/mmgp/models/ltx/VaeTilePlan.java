package mmgp.models.ltx;

import java.util.Arrays;

/**
 * The tiles of one LTX-Video VAE decode under {@link VaeTiling}, placed as diffusers 0.33.1's
 * {@code AutoencoderKLLTXVideo} places them. A tile is one entry of each {@link Axis}: frames ×
 * rows × columns.
 *
 * <p>Which path {@code _decode} takes: the temporal one ({@code _temporal_tiled_decode}) when
 * framewise decoding is on and F' > minFrames // 8; its tiles are then spatially tiled
 * ({@code tiled_decode}) when W' > minWidth // 32 or H' > minHeight // 32. Without the temporal
 * path, {@code _decode} tiles spatially when W' > <em>strideWidth</em> // 32 or H' > minHeight // 32
 * — diffusers compares the width with the stride there, and this plan does the same. Otherwise
 * one tile covers everything. (8 and 32 stand for the config's temporal and spatial
 * compression ratios.)
 *
 * <p>Tiles start every stride // ratio latents ({@code range(0, n, stride)}, so tail tiles may be
 * short slivers) and span min // ratio latents (temporal tiles one more), clipped at the edge.
 * Tiles that would contribute nothing to the output (a temporal tail tile of one latent frame,
 * which has no frame left after dropping its last; tiles starting past the crop) are left out:
 * diffusers decodes them and throws them away.
 */
final class VaeTilePlan {
    /**
     * Tiles along one axis: {@code start} and {@code size} in latents; {@code length} the decoded
     * samples of the tile that take part (temporal tiles after the first drop their last frame);
     * {@code keep} of them are copied to the output at {@code offset} after blending the first
     * min(previous length, length, {@code blend}) with the previous tile; {@code samples} the
     * output length (the concatenation is cropped to it).
     */
    record Axis(int[] start, int[] size, int[] length, int[] keep, int[] offset, int blend, int samples) {
        Axis {
            start = start.clone();
            size = size.clone();
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

        int length(int k) {
            return length[k];
        }

        int keep(int k) {
            return keep[k];
        }

        int offset(int k) {
            return offset[k];
        }

        /** Each tile's size along this axis, in latents. */
        int[] sizes() {
            return size.clone();
        }

        /** Latents decoded along this axis, summed over the tiles. */
        long decodedLatents() {
            return Arrays.stream(size).asLongStream().sum();
        }

        /** One tile of all {@code latents}, giving {@code samples}. */
        static Axis whole(int latents, int samples) {
            return new Axis(new int[] {0}, new int[] {latents}, new int[] {samples}, new int[] {samples}, new int[] {0}, 0, samples);
        }

        /** diffusers' {@code tiled_decode} along height or width. */
        static Axis spatial(int latents, int min, int stride, int ratio) {
            int minLatents = min / ratio, strideLatents = stride / ratio, samples = latents * ratio;
            Builder b = new Builder();
            for (int i = 0; i < latents && b.offset < samples; i += strideLatents) {
                int size = Math.min(minLatents, latents - i), length = size * ratio;
                b.add(i, size, length, Math.min(Math.min(stride, length), samples - b.offset));
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
                b.add(i, size, length, keep);
            }
            return b.build(minFrames - strideFrames, samples);
        }
    }

    private static final class Builder {
        private final int[][] columns = new int[5][16];
        private int n, offset;

        void add(int start, int size, int length, int keep) {
            if (n == columns[0].length) for (int c = 0; c < columns.length; c++) columns[c] = Arrays.copyOf(columns[c], 2 * n);
            int[] row = {start, size, length, keep, offset};
            for (int c = 0; c < columns.length; c++) columns[c][n] = row[c];
            n++;
            offset += keep;
        }

        Axis build(int blend, int samples) {
            if (offset != samples) throw new IllegalStateException("tiles cover " + offset + " of " + samples + " samples");
            return new Axis(Arrays.copyOf(columns[0], n), Arrays.copyOf(columns[1], n), Arrays.copyOf(columns[2], n),
                    Arrays.copyOf(columns[3], n), Arrays.copyOf(columns[4], n), blend, samples);
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

    int tileCount() {
        return frames.count() * rows.count() * cols.count();
    }

    /** Latents decoded over all tiles (overlaps counted each time): the work of the plan. */
    long decodedLatents() {
        return frames.decodedLatents() * rows.decodedLatents() * cols.decodedLatents();
    }

    private static void atLeast(String name, int v, String kind, int ratio) {
        if (v < ratio) {
            throw new IllegalArgumentException("VaeTiling: " + name + " " + v + " is below the " + kind + " compression ratio " + ratio
                    + " (it must span at least one latent)");
        }
    }
}
