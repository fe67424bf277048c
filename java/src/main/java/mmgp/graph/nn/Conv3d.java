package mmgp.graph.nn;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;

/** 3-D convolution over videos laid out [W, H, F, C·B] (PyTorch (B, C, F, H, W) in memory). */
public final class Conv3d {
    private Conv3d() {}

    /**
     * The route point of every 3-D convolution: kernel [KW, KH, KD, IC·OC] (PyTorch
     * (OC, IC, KD, KH, KW)), input [W, H, F, IC·B] → [OW, OH, OF, OC·B], zero padding
     * {@code padding} = {W, H, F} on both sides, no bias. Today {@link Graph#conv3d} (im2col in
     * the kernel's precision, F32 accumulation); a choice of kernel belongs here.
     */
    public static Tensor apply(Graph g, Tensor kernel, Tensor input, int inChannels, int[] stride, int[] padding) {
        return g.conv3d(kernel, input, inChannels, stride, padding);
    }
}
