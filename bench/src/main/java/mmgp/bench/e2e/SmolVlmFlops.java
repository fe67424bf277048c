package mmgp.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import mmgp.gguf.GgufFile;
import mmgp.gguf.TensorInfo;

/**
 * FLOP estimates for SmolVLM2, which runs inside libllama/libmtmd where no {@link mmgp.graph.GraphStats}
 * counts them: 2 · parameters · rows for every matrix (gathered tables excluded) plus the attention
 * matmuls, from the two GGUFs' tensors and metadata.
 *
 * @param visionGflopPerTile one tile through the vision tower and the connector
 * @param layerParams        the LLM's matrix parameters per position, without the output head
 * @param headParams         the output head's (logits) parameters, tied to the token table when absent
 * @param layers             LLM blocks
 * @param embd               LLM width (the attention's query/key width)
 * @param textType           the LLM's dominant weight type
 * @param visionType         the vision tower's dominant weight type
 */
record SmolVlmFlops(double visionGflopPerTile, double layerParams, double headParams, int layers, int embd, String textType, String visionType) {
    static final String SOURCE = "estimate: 2·params·rows + attention, from the GGUFs";

    /** LLM prefill of {@code positions} prompt positions (logits of the last only), causal attention. */
    double prefillGflop(int positions) {
        double n = positions;
        return (2 * layerParams * n + 2 * headParams + 2.0 * n * n * embd * layers) / 1e9;
    }

    /** One decoded token with {@code context} positions before it. */
    double decodeGflopPerToken(double context) {
        return (2 * (layerParams + headParams) + 4.0 * context * embd * layers) / 1e9;
    }

    /** Reads the folder's text GGUF and mmproj-*.gguf; null when either is missing or lacks a field. */
    static SmolVlmFlops of(Path folder) {
        Path text = null, mmproj = null;
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (!name.endsWith(".gguf")) continue;
                if (name.startsWith("mmproj")) mmproj = f;
                else text = f;
            }
            if (text == null || mmproj == null) return null;
            double layerParams = 0, head = 0, tokenTable = 0;
            int layers, embd;
            String textType;
            try (GgufFile g = GgufFile.open(text)) {
                String arch = g.getString("general.architecture");
                layers = (int) g.getLong(arch + ".block_count");
                embd = (int) g.getLong(arch + ".embedding_length");
                for (TensorInfo t : g.tensors()) {
                    if (t.nDims() < 2) continue;
                    if (t.name().equals("output.weight")) head = t.elementCount();
                    else if (t.name().equals("token_embd.weight")) tokenTable = t.elementCount();
                    else if (!WeightTypes.gathered(t.name())) layerParams += t.elementCount();
                }
                textType = WeightTypes.dominantOf(g.tensors(), "blk.");
            }
            double vision;
            String visionType;
            try (GgufFile g = GgufFile.open(mmproj)) {
                long image = g.getLong("clip.vision.image_size"), patch = g.getLong("clip.vision.patch_size");
                long d = g.getLong("clip.vision.embedding_length"), blocks = g.getLong("clip.vision.block_count");
                long scale = g.metadata().contains("clip.vision.projector.scale_factor") ? g.getLong("clip.vision.projector.scale_factor") : 1;
                double n = (double) (image / patch) * (image / patch);
                double towerParams = 0, connectorParams = 0;
                for (TensorInfo t : g.tensors()) {
                    if (t.nDims() < 2 || WeightTypes.gathered(t.name())) continue;
                    if (t.name().startsWith("mm.")) connectorParams += t.elementCount();
                    else if (t.name().startsWith("v.")) towerParams += t.elementCount();
                }
                vision = (2 * towerParams * n + 4 * n * n * d * blocks + 2 * connectorParams * n / (scale * scale)) / 1e9;
                visionType = WeightTypes.dominantOf(g.tensors(), "v.blk.");
            }
            return new SmolVlmFlops(vision, layerParams, head > 0 ? head : tokenTable, layers, embd, textType, visionType);
        } catch (IOException | RuntimeException e) {
            return null; // the figures stay empty; the timings do not depend on this
        }
    }
}
