package mmgp.models.engine;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import mmgp.api.InvalidRequestException;
import mmgp.api.ProgressListener;
import mmgp.api.VideoOptions;
import mmgp.api.VideoRequest;
import mmgp.api.VideoResult;
import mmgp.engine.OverBudgetException;
import mmgp.engine.spi.BatchItem;
import mmgp.engine.spi.BatchModel;
import mmgp.engine.spi.CostEstimate;
import mmgp.graph.ComputeBackend;
import mmgp.models.ltx.LtxConditionImage;
import mmgp.models.ltx.LtxCost;
import mmgp.models.ltx.LtxDefaults;
import mmgp.models.ltx.LtxModel;
import mmgp.models.ltx.LtxPipeline;
import mmgp.models.ltx.VaeBudgetTooSmallException;
import mmgp.models.ltx.VaeTiling;
import mmgp.registry.ModelDefaults;

/**
 * A loaded LTX-Video model serving video requests: requests whose options differ only in seed and
 * decode settings, and all with or all without a start image, share one transformer graph; each
 * video comes from its own seed (and image) ({@link LtxPipeline#generateWithSeeds}), so batching
 * does not change it. Steps and guidance the request leaves to the model
 * ({@link VideoOptions#modelSteps()}, {@link VideoOptions#modelGuidance()}) come from the model's
 * recommended defaults (its manifest or GGUF), else 8 steps and guidance 3; its decode timestep too.
 * Decode timestep and noise scale are per video, so requests differing only in them share a run.
 */
final class LtxBatchModel implements BatchModel<VideoRequest, VideoResult> {
    /** Two videos: four transformer rows under guidance, the largest of the three models' runs. */
    static final int MAX_BATCH = 2;

    /**
     * What must match for requests to share a run: the resolved options but the seed and decode
     * settings (so "model default" and the same value given explicitly share a run), and all with
     * or all without a start image.
     */
    private record Key(VideoOptions shared, boolean fromImage) {}

    private final LtxModel model;
    private final ComputeBackend backend;
    private final String description;
    private final ModelDefaults defaults;
    private final Map<List<Object>, LtxCost> costs = new ConcurrentHashMap<>();
    /** The engine's memory budget per batch (0: none), see {@link #memoryBudget}. */
    private volatile long engineBudget;

    /** The model's own recommended settings ({@link LtxModel#defaults}) fill what requests leave open, as a direct pipeline call does. */
    LtxBatchModel(LtxModel model, ComputeBackend backend) {
        this.model = model;
        this.backend = backend;
        this.defaults = model.defaults();
        this.description = WeightSummary.describe(model, model.weights(), backend);
    }

    /** The model's recommended settings (NONE when it has none). */
    ModelDefaults defaults() {
        return defaults;
    }

    /** The options a request runs with: its own values, the model's defaults where it left them open, the VAE budget fitted to the engine's. */
    VideoOptions resolved(VideoOptions v) {
        return LtxDefaults.resolve(v, defaults).withVaeMemory(vaeBudget(v));
    }

    /**
     * Fits the VAE decode's default budget within the engine's: a request that leaves
     * {@code vae_memory_bytes} at 0 decodes within min({@link VaeTiling#DEFAULT_BUDGET_BYTES},
     * the engine's budget) — the stages free their graphs in turn, so the decode may use the
     * whole budget — in the estimate and the run alike.
     */
    @Override
    public void memoryBudget(long bytes) {
        engineBudget = Math.max(0, bytes);
        costs.clear();
    }

    /** The VAE decode budget a request runs with: its own, else the default fitted to the engine's budget. */
    long vaeBudget(VideoOptions v) {
        if (v.vaeMemoryBytes() > 0) return v.vaeMemoryBytes();
        long budget = engineBudget;
        return budget > 0 ? Math.min(VaeTiling.DEFAULT_BUDGET_BYTES, budget) : VaeTiling.DEFAULT_BUDGET_BYTES;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public void validate(VideoRequest request) {
        LtxPipeline.checkShape(model, request.options());
        if (request.startImageFile() != null) {
            if (!model.hasVaeEncoder()) {
                throw new InvalidRequestException("image", "this video model (" + model + ") has no VAE encoder, so it cannot start from an image");
            }
            startImage(request); // unreadable images are refused now, not when the batch runs
        }
    }

    private static LtxConditionImage startImage(VideoRequest request) {
        try {
            return LtxConditionImage.read(request.startImageFile());
        } catch (IOException e) {
            throw new InvalidRequestException("image", e.getMessage());
        }
    }

    @Override
    public Object batchKey(VideoRequest request) {
        return new Key(LtxPipeline.shared(resolved(request.options())), request.startImageFile() != null);
    }

    /**
     * LTX-Video's native sizes, by area: its model card recommends "resolutions under 720 × 1280"
     * (divisible by 32) and the upstream examples use 768×512, 1024×576, 1216×704 and 1280×720,
     * either orientation. So the cap is 1280 on either side and at most 1280·720 pixels
     * ({@link #NATIVE_PIXELS}): 1280×720, 720×1280, 1216×704 and 960×960 go, 1280×1280 and
     * 1344×704 need an explicit server limit.
     */
    static final CostEstimate.Size NATIVE_SIZE = new CostEstimate.Size(1280, 1280);
    static final long NATIVE_PIXELS = 1280L * 720;

    /** Measured on the run's own graphs ({@link LtxCost}), once per shape and batch size. */
    @Override
    public CostEstimate estimate(List<VideoRequest> batch) {
        VideoRequest first = batch.getFirst();
        VideoOptions v = first.options();
        VideoOptions o = resolved(v);
        boolean fromImage = first.startImageFile() != null;
        int n = batch.size();
        int steps = o.steps();
        boolean guided = o.guided();
        if (costs.size() > 256) costs.clear(); // sizes are bounded by the limits; this bounds the rest
        LtxCost cost;
        try {
            cost = cost(v, o, n, guided, fromImage, vaeBudget(v));
        } catch (VaeBudgetTooSmallException belowSmallestTile) {
            // the budget is below the smallest tile's buffer, so the run would fail too; any other
            // IllegalArgumentException (the decoder's or the tiling's own checks) is a fault and propagates
            if (v.vaeMemoryBytes() > 0) throw new InvalidRequestException("vae_memory_bytes", belowSmallestTile.getMessage());
            cost = cost(v, o, n, guided, fromImage, VaeTiling.DEFAULT_BUDGET_BYTES); // the engine's budget cannot hold it: refused for memory
        }
        String shape = v.width() + "×" + v.height() + "×" + v.frames();
        String what = n == 1 ? "this " + shape + " video" : "this batch of " + n + " " + shape + " videos";
        return new CostEstimate(what, cost.peakBytes(), cost.flops(steps), new CostEstimate.Size(v.width(), v.height()), NATIVE_SIZE,
                decodeHint(cost, v, o.tileLatents()), NATIVE_PIXELS, steps);
    }

    private LtxCost cost(VideoOptions v, VideoOptions o, int n, boolean guided, boolean fromImage, long vae) {
        return costs.computeIfAbsent(List.of(v.frames(), v.width(), v.height(), o.maxSequenceLength(), guided, fromImage, o.tileLatents(), vae, n),
                k -> LtxCost.of(model, backend, n, v.frames(), v.width(), v.height(), o.maxSequenceLength(), guided, fromImage, o.tileLatents(), vae));
    }

    /**
     * When the VAE decode (or the start image's VAE encode) is the largest stage, the 413 names
     * what bounds both: the tile size when tile_latents is set (the budget then bounds neither),
     * else vae_memory_bytes.
     */
    private static String decodeHint(LtxCost cost, VideoOptions v, int tileLatents) {
        long vae = Math.max(cost.decodeBytes(), cost.imageEncodeBytes());
        if (vae < cost.peakBytes() || vae <= Math.max(cost.encodeBytes(), cost.transformerBytes())) return null;
        boolean encode = cost.imageEncodeBytes() > cost.decodeBytes();
        String stage = (encode ? "its VAE encode of the image needs " : "its VAE decode needs ") + OverBudgetException.bytes(vae);
        String verb = encode ? "encode" : "decode";
        if (tileLatents > 0) {
            return stage + " in tiles of " + tileLatents + " latents (tile_latents " + tileLatents + ", which vae_memory_bytes does not change): a smaller tile_latents "
                    + verb + "s in smaller tiles";
        }
        return v.vaeMemoryBytes() > 0
                ? stage + " (vae_memory_bytes " + v.vaeMemoryBytes() + "): a smaller vae_memory_bytes " + verb + "s in smaller tiles"
                : stage + ": set vae_memory_bytes lower to " + verb + " in smaller tiles";
    }

    @Override
    public int maxBatch() {
        return MAX_BATCH;
    }

    @Override
    public List<VideoResult> run(List<BatchItem<VideoRequest>> items, ProgressListener batch) {
        if (items.isEmpty()) return List.of();
        SharedKey.require(this, items);
        VideoOptions first = items.getFirst().request().options();
        List<String> prompts = items.stream().map(item -> item.request().prompt()).toList();
        List<VideoOptions> videos = items.stream().map(item -> resolved(item.request().options())).toList();
        boolean fromImage = items.getFirst().request().startImageFile() != null;
        List<LtxConditionImage> images = fromImage ? items.stream().map(item -> startImage(item.request())).toList() : null;
        // each video's own seed, decode timestep and noise scale: requests need not agree on them to share a batch
        LtxPipeline.Video video = LtxPipeline.generateWithSeeds(model, backend, prompts, images, videos, batch);
        int size = 3 * video.frames() * video.height() * video.width();
        List<VideoResult> results = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            float[] rgb = SeededPrompts.itemValues(video.pixels(), i, size);
            results.add(new VideoResult(video.frames(), video.width(), video.height(), first.frameRate(), rgb, videos.get(i).seed(),
                    Timings.copyOf(video.timings()), items.size()));
        }
        return results;
    }

    @Override
    public void close() throws Exception {
        CpuModelOpener.close(model, backend);
    }
}
