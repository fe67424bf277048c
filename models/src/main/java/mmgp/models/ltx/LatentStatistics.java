package mmgp.models.ltx;

import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.tensor.Dequantizer;

/**
 * The VAE's registered per-channel buffers {@code latents_mean} and {@code latents_std}, which the
 * pipelines normalise (image conditioning, encoder side) and de-normalise (before decoding) latents with.
 */
final class LatentStatistics {
    private final Tensor mean;
    private final Tensor std;
    private final int channels;

    LatentStatistics(WeightSet weights, String prefix, int channels) {
        this.mean = weights.get(prefix + "latents_mean", channels);
        this.std = weights.get(prefix + "latents_std", channels);
        this.channels = channels;
    }

    float[] mean() {
        return Dequantizer.dequantize(mean.type(), mean.data(), channels);
    }

    float[] std() {
        return Dequantizer.dequantize(std.type(), std.data(), channels);
    }
}
