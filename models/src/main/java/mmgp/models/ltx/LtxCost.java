package mmgp.models.ltx;

import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.GraphPlan;
import mmgp.graph.Tensor;
import mmgp.tensor.GgmlType;

/**
 * What one {@link LtxPipeline#generateWithSeeds} run of {@code batch} videos costs, measured on
 * the graphs the run builds: the T5 encoder's and the transformer's are built as the pipeline
 * builds them and planned by ggml's allocator (nothing allocated or computed); the VAE decode
 * (one video at a time with per-video seeds) is planned by the tiling the run will pick for
 * its memory budget ({@link LtxVaeDecoder#tilingForBudget}). The stages free their graphs in
 * turn, so the peak is the largest stage. A tiled decode or encode keeps the graphs of its
 * distinct tile sizes cached up to the tiling's cap (twice the first tile's when none is set);
 * counted here is the most that cache holds at once over the run's tiles
 * ({@link TiledVae#heldBytes}). FLOPs: encode + steps × transformer + the decode's, which for a
 * tiled decode is the sum over its tiles of a decode graph's at each tile's size (overlaps are
 * decoded twice, and a small tile's convolutions may take another route than a large one's). Image to video's
 * VAE encode of its image (whole, or in the tiles the run picks: {@link LtxPipeline#imageEncodeTiling}) is a
 * stage of its own, counted in the peak; its FLOPs and the Java arrays (latents, frames) are not counted.
 *
 * @param peakBytes        the run's peak beyond the weights
 * @param fixedFlops       FLOPs of the encode and the decodes
 * @param stepFlops        FLOPs of one transformer step
 * @param encodeBytes      the T5 encoder's compute buffer
 * @param transformerBytes the transformer's compute buffer
 * @param decodeBytes      the VAE decode's compute buffers (the cached tile graphs' when tiled)
 * @param decodeTiled      whether the decode is tiled
 * @param imageEncodeBytes the image's VAE encode's compute buffers (the cached tile graphs' when tiled; 0 for text to video)
 */
public record LtxCost(long peakBytes, double fixedFlops, double stepFlops, long encodeBytes, long transformerBytes, long decodeBytes,
                      boolean decodeTiled, long imageEncodeBytes) {
    /** FLOPs of a run of {@code steps} steps. */
    public double flops(int steps) {
        return fixedFlops + steps * stepFlops;
    }

    /**
     * The cost of {@code batch} videos of {@code frames} × {@code height} × {@code width}, with
     * {@code textTokens} T5 positions, guided or not, image-conditioned or not, the VAE decode in
     * spatial tiles of {@code tileLatents} when that is set, else held to {@code vaeMemoryBytes}
     * (≤ 0: {@link VaeTiling#DEFAULT_BUDGET_BYTES}).
     */
    public static LtxCost of(LtxModel model, ComputeBackend backend, int batch, int frames, int width, int height, int textTokens,
                             boolean guided, boolean fromImage, int tileLatents, long vaeMemoryBytes) {
        LtxVaeConfig vae = model.vae().config();
        int lf = (frames - 1) / vae.temporalCompressionRatio() + 1;
        int lh = height / vae.spatialCompressionRatio(), lw = width / vae.spatialCompressionRatio();
        int tokens = lf * lh * lw;
        int rows = guided ? 2 * batch : batch;

        GraphPlan encode = GraphPlan.of(new Graph(backend), g -> {
            Tensor ids = g.input("t5_input_ids", GgmlType.I32, textTokens, rows);
            g.output(model.textEncoder().buildAll(g, ids, null).lastHidden());
        });
        LtxTransformer dit = model.transformer();
        GraphPlan transformer = GraphPlan.of(new Graph(backend, dit.graphSize()),
                g -> g.output(dit.build(g, dit.inputs(g, rows, tokens, textTokens, fromImage))));

        LtxVaeDecoder decoder = model.vae();
        long budget = vaeMemoryBytes > 0 ? vaeMemoryBytes : VaeTiling.DEFAULT_BUDGET_BYTES;
        long whole = decoder.plannedComputeBytes(backend, 1, lf, lh, lw);
        boolean tiled = tileLatents > 0 ? tileLatents < Math.max(lh, lw) : whole > budget;
        long decode;
        VaeTilePlan plan = null;
        if (!tiled) {
            decode = whole;
        } else {
            // the caller's tiles (graphs cached up to twice the first tile's), else tiles sized to the budget (cached within it)
            VaeTiling tiling = tileLatents > 0 ? LtxPipeline.spatialTiling(decoder, lh, lw, tileLatents) : decoder.tilingForBudget(backend, budget, 1, lf, lh, lw);
            plan = VaeTilePlan.of(tiling, vae, lf, lh, lw);
            decode = TiledVae.heldBytes((f, h, w) -> f == lf && h == lh && w == lw ? whole : decoder.plannedComputeBytes(backend, 1, f, h, w), plan,
                    tiling.memoryBytes());
        }
        // The FLOPs of a decode graph per distinct tile size, times the tiles of that size (the whole
        // clip when not tiled): a small tile's convolutions may take another route than a large
        // one's (the Winograd route needs enough positions per frame), so scaling one size's count
        // by the latents decoded would miss that.
        int[] fs = plan == null ? new int[] {lf} : plan.frames.sizes(), hs = plan == null ? new int[] {lh} : plan.rows.sizes(),
                ws = plan == null ? new int[] {lw} : plan.cols.sizes();
        java.util.Map<java.util.List<Integer>, Double> perSize = new java.util.HashMap<>();
        double decodeFlops = 0;
        for (int tf : fs) {
            for (int th : hs) {
                for (int tw : ws) {
                    decodeFlops += batch * perSize.computeIfAbsent(java.util.List.of(tf, th, tw), k -> decodeFlops(decoder, backend, tf, th, tw));
                }
            }
        }
        long image = fromImage ? imageEncodeBytes(model, backend, width, height, tileLatents, budget) : 0;
        long peak = Math.max(Math.max(encode.bytes(), image), Math.max(transformer.bytes(), decode));
        return new LtxCost(peak, encode.flops() + decodeFlops, transformer.flops(), encode.bytes(), transformer.bytes(), decode, tiled, image);
    }

    /** The compute buffers of encoding one {@code width × height} image as the run does ({@link LtxPipeline#imageEncodeTiling}). */
    private static long imageEncodeBytes(LtxModel model, ComputeBackend backend, int width, int height, int tileLatents, long budget) {
        LtxVaeEncoder encoder = model.vaeEncoder();
        VaeTiling tiling = LtxPipeline.imageEncodeTiling(model, backend, height, width, tileLatents, budget);
        VaeTilePlan plan = VaeTilePlan.forEncode(tiling, encoder.config(), 1, height, width, encoder.latentShape(1, height, width));
        return TiledVae.heldBytes((f, h, w) -> encoder.plannedComputeBytes(backend, 1, f, h, w), plan, tiling.memoryBytes());
    }

    /** The FLOPs of one decode graph of latents {@code frames} × {@code height} × {@code width} (built, not planned or run). */
    private static double decodeFlops(LtxVaeDecoder decoder, ComputeBackend backend, int frames, int height, int width) {
        try (Graph g = decoder.newGraph(backend, frames)) {
            Tensor in = g.inputF32("latents", width, height, frames, decoder.config().latentChannels());
            Tensor timestep = decoder.timestepConditioned() ? g.inputF32("decode_timestep", 1) : null;
            g.output(decoder.build(g, in, timestep, 1).video());
            return g.flops();
        }
    }
}
