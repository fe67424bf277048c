package mmgp.models.ltx;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;

/**
 * diffusers' {@code PixArtAlphaCombinedTimestepSizeEmbeddings(dim, 0)} as the LTX video decoder
 * builds it ({@code time_embedder} of the mid block, every up block and the output stage):
 * Timesteps(256, flip_sin_to_cos=True, downscale_freq_shift=0), then TimestepEmbedding
 * linear_1 (256 → dim), SiLU, linear_2 (dim → dim). No size conditioning.
 */
final class TimeEmbedder {
    /** Timesteps(num_channels=256) inside PixArtAlphaCombinedTimestepSizeEmbeddings. */
    static final int PROJ_DIM = 256;
    private static final int MAX_PERIOD = 10000;

    private final Tensor w1, b1, w2, b2;
    private final int dim;

    /** {@code name} is the module, e.g. "vae.decoder.mid_block.time_embedder". */
    TimeEmbedder(WeightSet weights, String name, int dim) {
        String p = name + ".timestep_embedder.";
        this.w1 = weights.get(p + "linear_1.weight", PROJ_DIM, dim);
        this.b1 = weights.get(p + "linear_1.bias", dim);
        this.w2 = weights.get(p + "linear_2.weight", dim, dim);
        this.b2 = weights.get(p + "linear_2.bias", dim);
        this.dim = dim;
    }

    int dim() {
        return dim;
    }

    /** t F32 [B] (the already scaled decode timestep) → [dim, B] (PyTorch (B, dim)). */
    Tensor forward(Graph g, Tensor t) {
        Tensor proj = g.timestepEmbedding(t, PROJ_DIM, MAX_PERIOD); // cosines first
        Tensor h = g.silu(g.add(g.mulMat(w1, proj), Layers3d.f32(g, b1)));
        return g.add(g.mulMat(w2, h), Layers3d.f32(g, b2));
    }
}
