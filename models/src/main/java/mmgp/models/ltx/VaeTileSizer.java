package mmgp.models.ltx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Picks {@link VaeTiling} settings for a memory budget, for a decode or an encode. The cost of
 * a tile is its planned ggml compute buffer ({@link VaeTiling.TileCost}, from
 * {@link LtxVaeDecoder#plannedComputeBytes} or {@link LtxVaeEncoder#plannedComputeBytes}):
 * activations and conv unfold chunks, which grow with the tile's frames × height × width. Sizes
 * are in latents for both: an encode tile of m + 1 latent frames reads 8m + 1 frames, one of s
 * latents a side 32·s pixels (8 and 32 the compression ratios), and the tilings it tries place
 * encode tiles on the same latent grid as decode tiles.
 *
 * <p>Search: the whole decode (encode) if it fits. Otherwise each frame split — none, or temporal
 * tiles of m + 1 latent frames stepping by m − 1 (overlapping one latent frame: a decode blends
 * over 8 frames, an encode over that one latent frame) for m in 2, 3, 4, 6, 8, 12, … below
 * F' − 1 — gets the largest square spatial tile
 * side s (latents: sides 1 to 4 tried one by one, where a small tile's convolutions may take a
 * costlier route, then by bisection on the cost above them) whose first, largest tile fits; spatial tiles
 * overlap by max(1, s / 8) latents (diffusers' defaults, 512 every 448 pixels, overlap 1/8), and
 * an axis that fits in one tile is not split. The winner reads the fewest inputs in total
 * (overlaps read twice: {@link VaeTilePlan#work}), then has the fewest tiles.
 */
final class VaeTileSizer {
    private final LtxVaeConfig config;
    private final int frames, height, width;
    private final boolean encode;
    private final VaeTiling.TileCost cost;
    private final Map<List<Integer>, Long> costs = new HashMap<>();
    /** Tile sides, in latents, up to which the cost may fall as the side grows (another convolution route). */
    private static final int SMALL_SIDES = 4;

    /** Sizes decode tiles, or encode tiles when {@code encode}; the video of an encode is the one these latents come from. */
    VaeTileSizer(LtxVaeConfig config, boolean encode, int latentFrames, int latentHeight, int latentWidth, VaeTiling.TileCost cost) {
        if (latentFrames < 1 || latentHeight < 1 || latentWidth < 1) {
            throw new IllegalArgumentException("latent sizes must be positive, got " + latentFrames + "×" + latentHeight + "×" + latentWidth);
        }
        this.config = config;
        this.encode = encode;
        this.frames = latentFrames;
        this.height = latentHeight;
        this.width = latentWidth;
        this.cost = cost;
    }

    VaeTiling forBudget(long budgetBytes) {
        if (budgetBytes <= 0) throw new IllegalArgumentException("the VAE memory budget must be positive, got " + budgetBytes + " bytes");
        if (cost(frames, height, width) <= budgetBytes) return VaeTiling.OFF;
        VaeTiling best = null;
        long bestWork = Long.MAX_VALUE;
        int bestTiles = Integer.MAX_VALUE;
        for (int m : temporalSplits()) {
            int tileFrames = m == 0 ? frames : m + 1;
            int side = largestFittingSide(tileFrames, budgetBytes);
            if (side == 0) continue;
            VaeTiling t = tiling(m, side, budgetBytes);
            VaeTilePlan plan = plan(t);
            long work = plan.work();
            if (work < bestWork || work == bestWork && plan.tileCount() < bestTiles) {
                best = t;
                bestWork = work;
                bestTiles = plan.tileCount();
            }
        }
        if (best == null) {
            int smallest = frames > 3 ? 3 : frames;
            // Not always the cheapest: a one-latent tile may take a convolution route with a larger buffer than a 2×2 one.
            int cheapest = 1;
            for (int s = 2; s <= Math.min(SMALL_SIDES, Math.max(height, width)); s++) if (side(smallest, s) < side(smallest, cheapest)) cheapest = s;
            String what = (encode ? "encoding " : "") + smallest + "×1×1 latents";
            String least = cheapest == 1 ? "" : "; the cheapest, " + smallest + "×" + Math.min(cheapest, height) + "×" + Math.min(cheapest, width) + ": "
                    + mib(side(smallest, cheapest));
            throw new VaeBudgetTooSmallException("the VAE memory budget of " + mib(budgetBytes) + " is below the compute buffer of the smallest tile ("
                    + what + "): " + mib(cost(smallest, 1, 1)) + least);
        }
        return best;
    }

    /** 0 (no temporal tiles), then latent tile lengths m (tiles of m + 1) from a 1, 1.5, 2, 3, 4, 6, … ladder, while m + 1 < F'. */
    private List<Integer> temporalSplits() {
        List<Integer> splits = new ArrayList<>(List.of(0));
        for (int m = 2; m + 1 < frames; m = m < 3 ? m + 1 : (Integer.bitCount(m) == 1 ? m + m / 2 : m / 3 * 4)) splits.add(m);
        return splits;
    }

    /**
     * The largest square side (latents) whose tile of {@code tileFrames} fits, 0 if none. The
     * small sides (up to {@link #SMALL_SIDES}) are tried one by one: their convolutions may take
     * another route than a larger tile's, with a larger buffer (a one-latent encoder tile can
     * plan more than a two-latent one), so the cost need not rise with the side there. Above
     * them it does, and a bisection finds the largest side that fits.
     */
    private int largestFittingSide(int tileFrames, long budget) {
        int top = Math.max(height, width), lo = 0; // invariant: side lo fits (lo = 0: none yet)
        for (int s = 1; s <= Math.min(SMALL_SIDES, top); s++) if (side(tileFrames, s) <= budget) lo = s;
        int hi = top;
        if (lo < Math.min(SMALL_SIDES, top)) hi = lo; // the largest small side does not fit, so no larger one does
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (side(tileFrames, mid) <= budget) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /** The cost of a square tile of {@code side} latents (clipped to the grid) and {@code tileFrames}. */
    private long side(int tileFrames, int side) {
        return cost(tileFrames, Math.min(side, height), Math.min(side, width));
    }

    private VaeTiling tiling(int m, int side, long budget) {
        int sr = config.spatialCompressionRatio(), tr = config.temporalCompressionRatio();
        int overlap = side >= 2 ? Math.max(1, side / 8) : 0;
        int minH = Math.min(side, height) * sr, minW = Math.min(side, width) * sr;
        int strideH = side >= height ? minH : (side - overlap) * sr;
        int strideW = side >= width ? minW : (side - overlap) * sr;
        boolean spatial = side < height || side < width;
        boolean temporal = m > 0;
        return new VaeTiling(spatial, minH, minW, strideH, strideW, temporal, Math.max(m, 2) * tr, Math.max(m - 1, 1) * tr, budget);
    }

    private VaeTilePlan plan(VaeTiling t) {
        int sr = config.spatialCompressionRatio(), tr = config.temporalCompressionRatio();
        return encode ? VaeTilePlan.forEncode(t, config, (frames - 1) * tr + 1, height * sr, width * sr) : VaeTilePlan.of(t, config, frames, height, width);
    }

    private long cost(int f, int h, int w) {
        return costs.computeIfAbsent(List.of(f, h, w), k -> cost.bytes(f, h, w));
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }
}
