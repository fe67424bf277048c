package mmgp.models.smolvlm;

import java.nio.charset.StandardCharsets;

/**
 * The cost of SmolVLM2 requests, which run inside libllama where mmgp plans no graph, from the
 * processor's own arithmetic.
 *
 * <p>Memory: the llama context (its KV cache of {@link SmolVlmUnderstanding#contextTokens} cells
 * and its compute buffers) and the vision encoder's buffer are allocated once when the model
 * loads, and continuous batching admits requests only while their KV cells fit that context, so a
 * request adds only its media: each tile or frame as normalized pixels (3 × side² F32) and as
 * image features ({@code imageSeqLen} rows of the text width, F32), what
 * {@link SmolVlmUnderstanding#prepare} holds.
 *
 * <p>Tiles: an image of known size is counted exactly as the image processor splits it (resize to
 * the longest edge, round up to whole tiles, rows × columns plus the global image); of unknown
 * size, as the square the longest edge allows, the most any aspect ratio gives. A video counts
 * its frame cap, each frame as a square of the video size.
 *
 * <p>FLOPs: 2 per multiply-add of every text parameter at every prompt and generated position (an
 * upper bound: the token table is a lookup; attention over the context is left out), and per tile
 * the vision tower's linear layers (2 · params · patches) and attention (4 · patches² · width per
 * layer). Prompt text is bounded by its UTF-8 bytes (a byte-level BPE token covers at least one
 * byte) plus the chat template and the per-tile wrappers.
 */
public final class SmolVlmCost {
    /**
     * Positions of the chat template around the user's text, bounded by bytes: the role markers and
     * a video's intro ("You are provided the following series of … frames from a … video.", under
     * 160 bytes with the count in words) and outro.
     */
    public static final int TEMPLATE_TOKENS = 192;
    /**
     * Text positions around each tile or frame, bounded by bytes: a tile's fake-image and row/column
     * markers and its row's newline, a frame's "\nFrame from MM:SS:" and its global-image markers.
     */
    public static final int TOKENS_PER_TILE = 32;

    /** The vision tower: tile side, patch side, width, layers and parameters (the mmproj's tensors). */
    public record VisionTower(int imageSize, int patchSize, int width, int layers, long params) {
        public long patches() {
            long side = imageSize / patchSize;
            return side * side;
        }

        /** FLOPs of one tile through the tower. */
        public double tileFlops() {
            double n = patches();
            return 2.0 * params * n + 4.0 * n * n * width * layers;
        }
    }

    private SmolVlmCost() {}

    /**
     * Tiles an image of {@code width × height} becomes, as {@link SmolVlmImageProcessor#preprocess}
     * splits it with {@code size}; {@code width} or {@code height} ≤ 0 when unknown (the most any
     * image gives).
     */
    public static int imageTiles(SmolVlmImageProcessor.Config config, SmolVlmImageProcessor.Size size, int width, int height) {
        int m = config.maxImageSize();
        if (!config.doImageSplitting()) return 1;
        int h, w;
        if (config.doResize() && size.longestEdge() > 0) {
            if (width <= 0 || height <= 0) {
                int edge = Math.min(size.longestEdge(), SmolVlmImageProcessor.MAX_IMAGE_SIZE);
                h = w = edge;
            } else {
                int[] hw = SmolVlmImageProcessor.rescaleToMaxLen(height, width, size.longestEdge());
                hw = SmolVlmImageProcessor.scaleBelowUpperBound(hw[0], hw[1], SmolVlmImageProcessor.MAX_IMAGE_SIZE);
                h = hw[0];
                w = hw[1];
            }
        } else if (config.doResize()) {
            h = size.height();
            w = size.width();
        } else if (width <= 0 || height <= 0) {
            h = w = SmolVlmImageProcessor.Image.MAX_SIDE;
        } else {
            h = height;
            w = width;
        }
        // resizeForVisionEncoder: the long edge up to whole tiles, the short edge from the aspect ratio, up too
        double aspect = (double) w / h;
        if (w >= h) {
            w = Math.ceilDiv(w, m) * m;
            h = Math.ceilDiv((int) (w / aspect), m) * m;
        } else {
            h = Math.ceilDiv(h, m) * m;
            w = Math.ceilDiv((int) (h * aspect), m) * m;
        }
        if (h <= m && w <= m) return 1;
        return Math.ceilDiv(h, m) * Math.ceilDiv(w, m) + 1;
    }

    /** Tiles a video becomes: {@code maxFrames} frames (0: the sampler's cap), each of the video size. */
    public static int videoTiles(SmolVlmProcessor processor, int maxFrames) {
        SmolVlmVideoSampler.Config v = processor.videoSampler().config();
        int frames = maxFrames > 0 ? maxFrames : v.maxFrames();
        return frames * imageTiles(processor.imageProcessor().config(), v.videoSize(), 0, 0);
    }

    /** Bytes a request with {@code tiles} tiles or frames holds while it is prepared and prefilled. */
    public static long mediaBytes(int tiles, int tileSide, int tokensPerTile, int width) {
        return (long) tiles * (3L * tileSide * tileSide * Float.BYTES + (long) tokensPerTile * width * Float.BYTES);
    }

    /** An upper bound on a request's prompt positions: its text, the template, and its tiles with their wrappers. */
    public static long promptPositions(String prompt, int tiles, int tokensPerTile) {
        return (long) prompt.getBytes(StandardCharsets.UTF_8).length + TEMPLATE_TOKENS + (long) tiles * (tokensPerTile + TOKENS_PER_TILE);
    }

    /** FLOPs of a request of {@code positions} prompt positions and {@code newTokens} generated, and {@code tiles} encoded. */
    public static double flops(long positions, int newTokens, int tiles, long textParams, VisionTower vision) {
        return 2.0 * textParams * (positions + newTokens) + tiles * vision.tileFlops();
    }
}
