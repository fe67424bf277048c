package mmgp.models.ltx;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.graph.nn.Activation;
import mmgp.graph.nn.FeedForward;

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

    private final FeedForward timestepEmbedder; // linear_1, SiLU, linear_2
    private final int dim;

    /** {@code name} is the module, e.g. "vae.decoder.mid_block.time_embedder". */
    TimeEmbedder(WeightSet weights, String name, int dim) {
        this.timestepEmbedder = FeedForward.loadMlp(weights, name + ".timestep_embedder", PROJ_DIM, dim, dim, Activation.SILU, true);
        this.dim = dim;
    }

    int dim() {
        return dim;
    }

    /** t F32 [B] (the already scaled decode timestep) → [dim, B] (PyTorch (B, dim)). */
    Tensor forward(Graph g, Tensor t) {
        Tensor proj = g.timestepEmbedding(t, PROJ_DIM, MAX_PERIOD); // cosines first
        return timestepEmbedder.forward(g, proj);
    }
}
