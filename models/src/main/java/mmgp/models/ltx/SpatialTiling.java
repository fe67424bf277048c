package mmgp.models.ltx;

/**
 * Overlapping tiles along one spatial axis of the latent grid, and the linear blend weights of
 * their decoded pixels. Tiles step by tile − overlap and the last one is placed flush with the
 * end, so every tile has the same size (one graph serves them all). Where two tiles overlap,
 * one weight ramps down while the other ramps up; the weights of each pixel sum to one when
 * no more than two tiles overlap (and are normalised by their sum otherwise).
 */
final class SpatialTiling {
    private SpatialTiling() {}

    /** Start of each tile along an axis of {@code n} latents; a single tile at 0 when it covers the axis. */
    static int[] starts(int n, int tile, int overlap) {
        if (tile >= n) return new int[] {0};
        if (overlap < 0 || overlap >= tile) throw new IllegalArgumentException("overlap " + overlap + " must be in [0, tile " + tile + ")");
        int stride = tile - overlap;
        int count = 1;
        while ((count - 1) * stride + tile < n) count++;
        int[] s = new int[count];
        for (int i = 0; i < count - 1; i++) s[i] = i * stride;
        s[count - 1] = n - tile;
        return s;
    }

    /**
     * Blend weight of each of the {@code tile·scale} output pixels of tile {@code k}: a ramp
     * (i + 0.5)/L up across the pixels shared with the previous tile, down across those shared
     * with the next, 1 elsewhere. The half-pixel offset keeps every weight above zero and makes
     * the two ramps over a shared band sum to exactly one.
     */
    static float[] weights(int[] starts, int k, int tile, int scale) {
        int size = tile * scale;
        int begin = starts[k] * scale;
        float[] w = new float[size];
        java.util.Arrays.fill(w, 1f);
        if (k > 0) {
            int shared = starts[k - 1] * scale + size - begin;
            for (int i = 0; i < shared; i++) w[i] *= (float) ((i + 0.5) / shared);
        }
        if (k < starts.length - 1) {
            int shared = begin + size - starts[k + 1] * scale;
            for (int i = 0; i < shared; i++) w[size - 1 - i] *= (float) ((i + 0.5) / shared);
        }
        return w;
    }
}
