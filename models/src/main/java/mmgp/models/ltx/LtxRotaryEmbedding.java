package mmgp.models.ltx;

/**
 * diffusers' {@code LTXVideoRotaryPosEmbed}: per-token cos/sin tables over the whole inner_dim,
 * computed here in Java and fed to the graph as inputs.
 *
 * <p>Every step is done in float32, in the reference's order of operations: the highest
 * frequency is θ·π/2 ≈ 15708 rad, where one float32 ulp of the angle is ~1e-3, so a double
 * computation lands ~1e-3 away from what PyTorch feeds the model. torch.linspace is reproduced
 * as its scalar kernel computes it (start + step·i in the first half, end − step·(n−1−i) in the
 * second, each a fused multiply-add, as CUDA and torch's FMA-built CPU kernels do); torch's
 * vectorised CPU path, taken when dim // 6 ≥ 16, may differ from this by an ulp.
 */
final class LtxRotaryEmbedding {
    /** LTXVideoTransformer3DModel builds its rope with these (base_num_frames, base_height, base_width, theta). */
    static final int BASE_NUM_FRAMES = 20, BASE_HEIGHT = 2048, BASE_WIDTH = 2048;
    static final float THETA = 10000f;

    private LtxRotaryEmbedding() {}

    /** cos and sin, each (tokens, dim) row-major = ggml [dim, tokens]. */
    record Tables(float[] cos, float[] sin) {}

    /**
     * {@code _prepare_video_coords} for one sample: the (f, h, w) grid in (f, h, w) row-major token
     * order, scaled by rope_interpolation_scale · patch size / base size; (tokens, 3) row-major.
     */
    static float[] videoCoords(int frames, int height, int width, int patchSize, int patchSizeT, LtxTransformer.RopeScale scale) {
        checkGrid(frames, height, width);
        // The scale factors are Python floats multiplied into float32 tensors: torch rounds them to float32.
        float s0 = (float) scale.temporal(), s1 = (float) scale.height(), s2 = (float) scale.width();
        float[] coords = new float[Math.multiplyExact(Math.multiplyExact(frames, height), width) * 3];
        int t = 0;
        for (int f = 0; f < frames; f++)
            for (int h = 0; h < height; h++)
                for (int w = 0; w < width; w++, t++) {
                    // grid * scale * patch / base, one float32 rounding per operation as the tensor ops do
                    coords[3 * t] = f * s0 * patchSizeT / BASE_NUM_FRAMES;
                    coords[3 * t + 1] = h * s1 * patchSize / BASE_HEIGHT;
                    coords[3 * t + 2] = w * s2 * patchSize / BASE_WIDTH;
                }
        return coords;
    }

    /**
     * The forward pass from per-token coordinates ((tokens, 3), already divided by the base
     * sizes): freqs = θ^linspace(0, 1, dim // 6)·π/2·(2·coord − 1), laid out frequency-major with
     * the three axes interleaved, each repeated twice (cos and sin pair up with the adjacent
     * channels apply_rotary_emb rotates), behind dim % 6 leading channels of cos 1, sin 0.
     */
    static Tables tables(int dim, float[] coords) {
        if (dim <= 0 || dim % 2 != 0) throw new IllegalArgumentException("rotary dim must be positive and even, got " + dim);
        if (coords.length % 3 != 0) throw new IllegalArgumentException("coordinates must be (tokens, 3), got " + coords.length + " values");
        int tokens = coords.length / 3;
        float[] freqs = frequencies(dim / 6);
        int n = freqs.length, pad = dim % 6;
        float[] cos = new float[Math.multiplyExact(tokens, dim)], sin = new float[cos.length];
        for (int t = 0; t < tokens; t++) {
            int row = t * dim;
            for (int p = 0; p < pad; p++) cos[row + p] = 1f; // sin stays 0
            for (int j = 0; j < n; j++) {
                for (int axis = 0; axis < 3; axis++) {
                    float centred = coords[3 * t + axis] * 2f - 1f;
                    float angle = freqs[j] * centred;
                    float c = (float) Math.cos(angle), s = (float) Math.sin(angle);
                    int at = row + pad + 2 * (3 * j + axis);
                    cos[at] = cos[at + 1] = c;
                    sin[at] = sin[at + 1] = s;
                }
            }
        }
        return new Tables(cos, sin);
    }

    /** θ ** torch.linspace(log_θ 1, log_θ θ, n) · π / 2, in float32. */
    static float[] frequencies(int n) {
        float start = 0f, end = 1f; // math.log(1, θ), math.log(θ, θ)
        float[] lin = new float[n];
        if (n == 1) {
            lin[0] = start;
        } else if (n > 1) {
            float step = (end - start) / (n - 1);
            int halfway = n / 2;
            for (int i = 0; i < n; i++) {
                lin[i] = i < halfway ? Math.fma(step, (float) i, start) : Math.fma(-step, (float) (n - 1 - i), end);
            }
        }
        float[] freqs = new float[n];
        for (int i = 0; i < n; i++) {
            float f = (float) Math.pow(THETA, lin[i]);
            freqs[i] = f * (float) Math.PI / 2f; // freqs * math.pi / 2.0: two float32 ops
        }
        return freqs;
    }

    static void checkGrid(int frames, int height, int width) {
        if (frames <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("the token grid must be positive, got " + frames + "×" + height + "×" + width);
        }
    }
}
