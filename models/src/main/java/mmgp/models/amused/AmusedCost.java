package mmgp.models.amused;

import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.GraphPlan;
import mmgp.graph.Tensor;
import mmgp.tensor.GgmlType;

/**
 * What one {@link AmusedPipeline} run of {@code batch} images costs, measured on the graphs the
 * run builds: each stage's graph (text encoder, transformer, VQ decoder) is built as the
 * pipeline builds it and its compute buffer planned by ggml's allocator (nothing is allocated or
 * computed). The stages run one after another and free their graph, so the peak is the largest
 * stage: its compute buffer, plus, while denoising, the guided-logits buffer beside the
 * transformer graph. FLOPs are the graphs' own count: encode + steps × transformer + decode.
 * Java arrays (token grids, pixels) live on the heap and are not counted. The steps do not
 * change the graphs, so one cost serves every step count.
 *
 * @param peakBytes        the run's peak beyond the weights
 * @param fixedFlops       FLOPs of the encode and the decode
 * @param stepFlops        FLOPs of one transformer step
 * @param encodeBytes      the text encoder's compute buffer
 * @param transformerBytes the transformer's compute buffer
 * @param decodeBytes      the VQ decoder's compute buffer
 */
public record AmusedCost(long peakBytes, double fixedFlops, double stepFlops, long encodeBytes, long transformerBytes, long decodeBytes) {
    /** FLOPs of a run of {@code steps} steps. */
    public double flops(int steps) {
        return fixedFlops + steps * stepFlops;
    }

    /** The cost of {@code batch} images of {@code width}×{@code height} pixels, with or without guidance. */
    public static AmusedCost of(AmusedModel model, ComputeBackend backend, int batch, int width, int height, boolean guided) {
        int scale = model.vaeScaleFactor();
        int h = height / scale, w = width / scale;
        int rows = guided ? 2 * batch : batch;
        int seqLen = model.tokenizer().modelMaxLength();
        GraphPlan encode = GraphPlan.of(new Graph(backend),
                g -> model.textEncoder().build(g, rows, seqLen, true)); // encode() keeps every hidden state
        UVit2D uvit = model.transformer();
        GraphPlan transformer = GraphPlan.of(new Graph(backend, uvit.graphSize()), g -> {
            UVit2D.Inputs in = uvit.inputs(g, rows, h, w, seqLen);
            g.output(uvit.buildTokenLogits(g, in.inputIds(), in.encoderHiddenStates(), in.pooledTextEmb(), in.microConds()));
        });
        long guidedLogits = guided ? 4L * batch * h * w * uvit.config().codebookSize() : 0;
        GraphPlan decode = GraphPlan.of(new Graph(backend), g -> {
            Tensor ids = g.input("indices", GgmlType.I32, (long) batch * h * w);
            g.output(model.vqDecoder().build(g, ids, batch, h, w));
        });
        long peak = Math.max(encode.bytes(), Math.max(transformer.bytes() + guidedLogits, decode.bytes()));
        return new AmusedCost(peak, encode.flops() + decode.flops(), transformer.flops(), encode.bytes(), transformer.bytes(), decode.bytes());
    }
}
