package mmgp.models.amused;

import java.util.ArrayList;
import java.util.List;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.graph.nn.MatMul;
import mmgp.graph.nn.RmsNorm;
import mmgp.graph.nn.Vectors;

/**
 * diffusers' uvit_2d {@code UVitBlock}: an optional Downsample2D (RMSNorm, F.pad right/bottom,
 * 2×2 stride-2 conv), num_res_blocks pairs of ConvNextBlock + SkipFFTransformerBlock, and an
 * optional Upsample2D (RMSNorm, 2×2 stride-2 transposed conv). Token grids are channels-last
 * [C, W, H, B]; both resamplers are written as one weight matmul ({@link MatMul}) over 2×2
 * cells so that layout never changes and the result stays fp32 throughout.
 */
final class UVitBlock {
    private final RmsNorm downsampleNorm;      // null unless downsample
    private final Tensor downsampleConv;       // [2, 2, C, C]
    private final Tensor downsampleBias;
    private final List<ConvNextBlock> resBlocks = new ArrayList<>();
    private final List<SkipFfTransformerBlock> attentionBlocks = new ArrayList<>();
    private final RmsNorm upsampleNorm;        // null unless upsample
    private final Tensor upsampleConv;         // [2, 2, C, C] (ConvTranspose2d: PyTorch [in, out, kh, kw])
    private final Tensor upsampleBias;

    UVitBlock(UVit2DConfig c, WeightSet w, String name, boolean downsample, boolean upsample) {
        int ch = c.blockOutChannels();
        double eps = c.layerNormEps();
        boolean affine = c.lnElementwiseAffine(), bias = c.useBias();
        // Downsample2D(name="Conv2d_0") stores its conv as .conv; Upsample2D(name="conv") too.
        downsampleNorm = downsample ? RmsNorm.load(w, name + ".downsample.norm", ch, eps, affine, false) : null;
        downsampleConv = downsample ? w.get(name + ".downsample.conv.weight", 2, 2, ch, ch) : null;
        downsampleBias = downsample && bias ? w.get(name + ".downsample.conv.bias", ch) : null;
        for (int i = 0; i < c.numResBlocks(); i++) {
            resBlocks.add(new ConvNextBlock(c, w, name + ".res_blocks." + i));
            attentionBlocks.add(new SkipFfTransformerBlock(c, w, name + ".attention_blocks." + i));
        }
        upsampleNorm = upsample ? RmsNorm.load(w, name + ".upsample.norm", ch, eps, affine, false) : null;
        upsampleConv = upsample ? w.get(name + ".upsample.conv.weight", 2, 2, ch, ch) : null;
        upsampleBias = upsample && bias ? w.get(name + ".upsample.conv.bias", ch) : null;
    }

    /**
     * x [C, W, H, B] → [C, W', H', B] (halved after a downsample, doubled after an upsample).
     * Traces ({@link Graph#trace}) each sub-block's output as {@code name + ".res_blocks.i"} /
     * {@code ".attention_blocks.i"}, channels-last.
     */
    Tensor forward(Graph g, Tensor x, Tensor condSilu, Tensor encoderHiddenStates, String name) {
        if (downsampleNorm != null) x = conv2x2Stride2(g, downsampleNorm.forward(g, x), downsampleConv, downsampleBias);
        for (int i = 0; i < resBlocks.size(); i++) {
            x = resBlocks.get(i).forward(g, x, condSilu);
            g.trace(name + ".res_blocks." + i, x);
            long c = x.ne(0), w = x.ne(1), h = x.ne(2), b = x.ne(3);
            Tensor tokens = attentionBlocks.get(i).forward(g, g.reshape(x, c, w * h, b), encoderHiddenStates);
            g.trace(name + ".attention_blocks." + i, tokens);
            x = g.reshape(tokens, c, w, h, b);
        }
        if (upsampleNorm != null) x = convTranspose2x2Stride2(g, upsampleNorm.forward(g, x), upsampleConv, upsampleBias);
        return x;
    }

    /**
     * Downsample2D's conv: F.pad(x, (0, 1, 0, 1)) then nn.Conv2d(k=2, stride=2, padding=0), on
     * channels-last x [IC, W, H, B] with kernel [2, 2, IC, OC] → [OC, ⌈W/2⌉, ⌈H/2⌉, B]. Each
     * 2×2 cell's (c, kw, kh) values become one column (space-to-depth) for a single matmul.
     */
    static Tensor conv2x2Stride2(Graph g, Tensor x, Tensor kernel, Tensor bias) {
        long ic = x.ne(0), w = x.ne(1), h = x.ne(2), b = x.ne(3), oc = kernel.ne(3);
        // The padded column / row is only inside a window when the size is odd.
        if (w % 2 == 1 || h % 2 == 1) x = g.padExt(x, 0, 0, 0, (int) (w % 2), 0, (int) (h % 2));
        long ow = (w + 1) / 2, oh = (h + 1) / 2;
        Tensor cells = g.reshape(x, 2 * ic, ow, 2, oh * b);            // (c,kw) | ow | kh | (oh,b)
        cells = g.cont(g.permute(cells, 0, 2, 1, 3));                  // (c,kw) | kh | ow | (oh,b)
        cells = g.reshape(cells, 4 * ic, ow * oh * b);
        Tensor k = g.reshape(g.cont(g.permute(kernel, 1, 2, 0, 3)), 4 * ic, oc); // (ic,kw,kh) | oc
        Tensor y = g.reshape(MatMul.apply(g, k, cells), oc, ow, oh, b);
        return bias == null ? y : g.add(y, Vectors.f32(g, bias));
    }

    /**
     * Upsample2D's nn.ConvTranspose2d(k=2, stride=2, padding=0) on channels-last x
     * [IC, W, H, B] with kernel [2, 2, OC, IC] (PyTorch [IC, OC, kh, kw]) → [OC, 2W, 2H, B].
     * Stride equals kernel, so output cells do not overlap: one matmul gives every cell's
     * (oc, kw, kh) values, which are then interleaved into the grid.
     */
    static Tensor convTranspose2x2Stride2(Graph g, Tensor x, Tensor kernel, Tensor bias) {
        long ic = x.ne(0), w = x.ne(1), h = x.ne(2), b = x.ne(3), oc = kernel.ne(2);
        Tensor k = g.reshape(g.cont(g.permute(kernel, 2, 3, 1, 0)), ic, 4 * oc); // ic | (oc,kw,kh)
        Tensor y = MatMul.apply(g, k, g.reshape(x, ic, w * h * b));               // [(oc,kw,kh), W·H·B]
        y = g.reshape(y, 2 * oc, 2, w, h * b);                                    // (oc,kw) | kh | w | (h,b)
        y = g.reshape(g.cont(g.permute(y, 0, 2, 1, 3)), oc, 2 * w, 2 * h, b);      // (oc,kw) | w | kh | (h,b)
        return bias == null ? y : g.add(y, Vectors.f32(g, bias));
    }
}
