package mmgp.models.ltx;

/**
 * How the LTX-Video VAE decode or encode is split into tiles: the settings of diffusers'
 * {@code AutoencoderKLLTXVideo.enable_tiling(...)} plus {@code use_framewise_decoding} (0.33.1),
 * in sample pixels and frames as diffusers takes them (one set for both directions, as in
 * diffusers). {@link VaeTilePlan} turns them into tiles with diffusers' exact semantics and
 * {@link TiledVaeDecode} / {@link TiledVaeEncode} run them.
 *
 * <p>Budget: {@code memoryBytes} (and the budget of {@link #forBudget} and
 * {@link #forEncodeBudget}) is the compute memory the decode or encode may hold at once: the
 * planned ggml compute buffers (inputs, activations and conv unfold chunks) of the tile graphs
 * it keeps. Not counted: the weights, the whole input and output, and the Java-side tile copies
 * (one row of spatial tiles and one temporal tile of output, a small fraction of a tile's
 * compute buffer). Graphs of tiles of the same size are reused; a graph of another
 * size is kept beside them only while the sum stays within {@code memoryBytes} (0: twice the
 * largest tile's buffer). {@link #forBudget} sizes the tiles so the largest tile's buffer fits it.
 *
 * @param spatial      diffusers' {@code use_tiling}: split height and width ({@code tiled_decode}, {@code tiled_encode})
 * @param minHeight    {@code tile_sample_min_height}: tile height in pixels
 * @param minWidth     {@code tile_sample_min_width}
 * @param strideHeight {@code tile_sample_stride_height}: pixels between tile starts; tiles blend over min − stride
 * @param strideWidth  {@code tile_sample_stride_width}
 * @param framewise    {@code use_framewise_decoding}: split the frames ({@code _temporal_tiled_decode}, and
 *                     {@code _temporal_tiled_encode}, which diffusers also switches by this flag)
 * @param minFrames    {@code tile_sample_min_num_frames}: a temporal tile decodes minFrames/8 + 1 latent frames
 *                     (encodes minFrames + 1 frames)
 * @param strideFrames {@code tile_sample_stride_num_frames}; tiles blend over minFrames − strideFrames frames
 * @param memoryBytes  the compute memory the tile graphs may hold at once (0: twice the largest tile's)
 */
public record VaeTiling(boolean spatial, int minHeight, int minWidth, int strideHeight, int strideWidth,
                        boolean framewise, int minFrames, int strideFrames, long memoryBytes) {
    /** No tiling: one decode of the whole latent video. */
    public static final VaeTiling OFF = new VaeTiling(false, 512, 512, 448, 448, false, 16, 8, 0);

    /**
     * The budget used when the caller gives none: the whole decode when its compute buffer fits
     * in 2 GiB, else tiles that fit. 2 GiB holds the LTX-Video 0.9.0 VAE decoding 49×320×512
     * whole (planned 1.06 GiB) and leaves room for the weights on an 8 GiB machine.
     */
    public static final long DEFAULT_BUDGET_BYTES = 2L << 30;

    public VaeTiling {
        if (spatial) {
            positive("minHeight", minHeight);
            positive("minWidth", minWidth);
            positive("strideHeight", strideHeight);
            positive("strideWidth", strideWidth);
            notAbove("strideHeight", strideHeight, "minHeight", minHeight);
            notAbove("strideWidth", strideWidth, "minWidth", minWidth);
        }
        if (framewise) {
            positive("minFrames", minFrames);
            positive("strideFrames", strideFrames);
            notAbove("strideFrames", strideFrames, "minFrames", minFrames);
        }
        if (memoryBytes < 0) throw new IllegalArgumentException("memoryBytes must be ≥ 0, got " + memoryBytes);
    }

    /**
     * diffusers' {@code enable_tiling(tile_sample_min_height=minHW, tile_sample_min_width=minHW,
     * tile_sample_min_num_frames=minFrames, tile_sample_stride_height=strideHW,
     * tile_sample_stride_width=strideHW, tile_sample_stride_num_frames=strideFrames)} with
     * {@code use_framewise_decoding = True}.
     */
    public static VaeTiling diffusers(int minHW, int strideHW, int minFrames, int strideFrames) {
        return new VaeTiling(true, minHW, minHW, strideHW, strideHW, true, minFrames, strideFrames, 0);
    }

    /** Spatial tiles only, every frame at once: {@code enable_tiling} without framewise decoding. */
    public static VaeTiling spatialOnly(int minHeight, int minWidth, int strideHeight, int strideWidth) {
        return new VaeTiling(true, minHeight, minWidth, strideHeight, strideWidth, false, 16, 8, 0);
    }

    /** These settings with a memory cap for the graphs kept at once (see the class comment). */
    public VaeTiling withMemoryBytes(long bytes) {
        return new VaeTiling(spatial, minHeight, minWidth, strideHeight, strideWidth, framewise, minFrames, strideFrames, bytes);
    }

    /** Whether anything is tiled. */
    public boolean enabled() {
        return spatial || framewise;
    }

    /**
     * The planned compute buffer, in bytes, of decoding one tile of {@code latentFrames ×
     * latentHeight × latentWidth} latents (the batch is the caller's);
     * {@link LtxVaeDecoder#plannedComputeBytes} gives ggml's own plan.
     */
    @FunctionalInterface
    public interface TileCost {
        long bytes(int latentFrames, int latentHeight, int latentWidth);
    }

    /**
     * Tiles for decoding {@code latentFrames × latentHeight × latentWidth} latents whose compute
     * buffer fits {@code budgetBytes}: {@link #OFF} when the whole decode fits; otherwise, among
     * spatial-only tilings and tilings that also split the frames, the one that fits and decodes
     * the fewest latents in total (overlaps are decoded twice). See {@link VaeTileSizer}.
     *
     * @throws VaeBudgetTooSmallException when even the smallest tile does not fit
     * @throws IllegalArgumentException when the budget or the latent sizes are not positive
     */
    public static VaeTiling forBudget(long budgetBytes, LtxVaeConfig config, int latentFrames, int latentHeight, int latentWidth, TileCost cost) {
        return new VaeTileSizer(config, false, latentFrames, latentHeight, latentWidth, cost).forBudget(budgetBytes);
    }

    /**
     * {@link #forBudget} for encoding the video whose latents are {@code latentFrames ×
     * latentHeight × latentWidth} ((F' − 1)·8 + 1 frames of 32·H' × 32·W' pixels, for the
     * ratios 8 and 32): {@code cost} is the encoder's compute buffer for a tile that encodes to
     * that many latents ({@link LtxVaeEncoder#plannedComputeBytes}), and the settings are the
     * ones diffusers' {@code tiled_encode} / {@code _temporal_tiled_encode} read.
     *
     * @throws VaeBudgetTooSmallException when even the smallest tile does not fit
     */
    public static VaeTiling forEncodeBudget(long budgetBytes, LtxVaeConfig config, int latentFrames, int latentHeight, int latentWidth, TileCost cost) {
        return new VaeTileSizer(config, true, latentFrames, latentHeight, latentWidth, cost).forBudget(budgetBytes);
    }

    /**
     * diffusers' spatial tiling for tiles of {@code tileLatentH × tileLatentW} latents stepping by
     * the tile minus {@code overlap} latents, over an h × w latent grid (a decode's latents, or
     * an encode's result); an axis the tile covers is not split (so a tile covering the grid is
     * the plain decode or encode).
     */
    public static VaeTiling spatialLatents(LtxVaeConfig config, int h, int w, int tileLatentH, int tileLatentW, int overlap) {
        if (tileLatentH < 1 || tileLatentW < 1) throw new IllegalArgumentException("tile sizes must be ≥ 1 latent, got " + tileLatentH + "×" + tileLatentW);
        if (overlap < 0 || overlap >= Math.min(tileLatentH, tileLatentW)) {
            throw new IllegalArgumentException("overlap " + overlap + " must be in [0, smaller tile side " + Math.min(tileLatentH, tileLatentW) + ")");
        }
        int sr = config.spatialCompressionRatio();
        int th = Math.min(tileLatentH, h), tw = Math.min(tileLatentW, w);
        int strideH = th < h ? th - overlap : th, strideW = tw < w ? tw - overlap : tw;
        return spatialOnly(th * sr, tw * sr, strideH * sr, strideW * sr);
    }

    private static void positive(String name, int v) {
        if (v < 1) throw new IllegalArgumentException("VaeTiling: " + name + " must be ≥ 1, got " + v);
    }

    private static void notAbove(String name, int v, String limitName, int limit) {
        if (v > limit) throw new IllegalArgumentException("VaeTiling: " + name + " " + v + " must not exceed " + limitName + " " + limit
                + " (tiles would leave gaps)");
    }
}
