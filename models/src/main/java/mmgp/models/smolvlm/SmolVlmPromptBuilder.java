package mmgp.models.smolvlm;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import mmgp.api.ProgressListener;
import mmgp.api.StageTimings;
import mmgp.media.VideoReader;
import mmgp.models.smolvlm.SmolVlmChatTemplate.Item;
import mmgp.models.smolvlm.SmolVlmChatTemplate.Message;

/**
 * Builds a request's model input: the conversation {@code User: <media><prompt>} through the processor
 * (chat template; images split into tiles plus the global image; videos sampled, each frame with its
 * timestamp line), tokenization, and the vision encoder over every tile or frame.
 *
 * <p>Tiles and frames go to libmtmd as the processor's float pixels ({@link SmolVlmModel#encodePixels}),
 * not as bitmaps for mtmd's own idefics3 preprocessing: that resizes every bitmap to
 * {@code preproc_image_size} (2048 for SmolVLM2) before slicing, so a 512 video frame or a processor tile
 * would become 16 tiles and an overview, and its Lanczos and prompt layout (a single "\n\n" token) differ
 * from the processor's PIL-exact resize and BPE. With the processor's pixels the features are those of the
 * Hugging Face model, and the fixture without a "\n\n" token works too.
 */
final class SmolVlmPromptBuilder {

    private final SmolVlmProcessor processor;
    private final SmolVlmModel vision;
    /** Null when the processor's own tokenizer gives the ids; else llama.cpp tokenizes the expanded prompt. */
    private final SmolVlmLlamaSession llamaTokenizer;
    private final int imageTokenId, nEmbd;

    /**
     * @throws IllegalArgumentException when the processor's tiles are not the vision encoder's input size:
     *         {@link SmolVlmModel#encodePixels} reads {@code 3·image_size²} values per tile, so tiles of another
     *         size would be read across their boundaries
     */
    SmolVlmPromptBuilder(SmolVlmProcessor processor, SmolVlmModel vision, SmolVlmLlamaSession llamaTokenizer) {
        checkTileSize(processor.imageProcessor().config().maxImageSize(), vision);
        this.processor = processor;
        this.vision = vision;
        this.llamaTokenizer = llamaTokenizer;
        this.imageTokenId = vision.imageTokenId();
        this.nEmbd = vision.nEmbd();
    }

    /**
     * The prompt about {@code media}, videos capped at {@code maxFrames} (0 keeps the processor's cap).
     * Null when {@code progress} cancels during encoding.
     */
    SmolVlmPrompt build(SmolVlmMedia media, String prompt, int maxFrames, ProgressListener progress) throws IOException {
        StageTimings timings = new StageTimings();
        long t0 = System.nanoTime();
        SmolVlmProcessor p = processor;
        if (maxFrames > 0) {
            SmolVlmVideoSampler.Config c = processor.videoSampler().config();
            p = processor.withVideoSampler(new SmolVlmVideoSampler(new SmolVlmVideoSampler.Config(c.fps(), maxFrames, c.videoSize()), 1.0));
        }
        List<Item> content = new ArrayList<>();
        SmolVlmProcessor.Inputs inputs;
        VideoReader reader = null;
        try {
            switch (media) {
                case SmolVlmMedia.None none -> { }
                case SmolVlmMedia.ImageFile f -> content.add(Item.image(SmolVlmImageProcessor.Image.read(f.file())));
                case SmolVlmMedia.Image i -> content.add(Item.image(SmolVlmImageProcessor.Image.fromBufferedImage(i.image())));
                case SmolVlmMedia.VideoFile v -> {
                    reader = VideoReader.open(v.file());
                    content.add(Item.video(videoOf(reader)));
                }
                case SmolVlmMedia.Video v -> content.add(Item.video(v.video()));
            }
            if (!prompt.isEmpty() || content.isEmpty()) content.add(Item.text(prompt));
            inputs = p.applyChatTemplate(List.of(new Message("user", content)), true);
        } finally {
            if (reader != null) reader.close();
        }
        int[] ids = llamaTokenizer != null ? llamaTokenizer.tokenize(inputs.expandedPrompt()) : inputs.inputIds();
        int imagePositions = 0;
        for (int id : ids) if (id == imageTokenId) imagePositions++;
        SmolVlmImageProcessor.Result pixels = inputs.pixels();
        int images = pixels == null ? 0 : pixels.numImages();
        int perImage = images == 0 ? 0 : imagePositions / images;
        if (imagePositions != images * processor.imageSeqLen() || (images > 0 && perImage != processor.imageSeqLen())) {
            throw new IllegalStateException("the prompt has " + imagePositions + " <image> positions for " + images + " images of "
                    + processor.imageSeqLen() + " features each");
        }
        int framesUsed = inputs.videos().stream().mapToInt(v -> v.frames().size()).sum();
        double preprocess = secondsSince(t0);
        timings.add("preprocess", preprocess);
        progress.stage("preprocess", preprocess);

        long t1 = System.nanoTime();
        float[] features = images == 0 ? null : new float[imagePositions * nEmbd];
        if (images > 0) checkTileSize(pixels.size(), vision);
        int planeSize = 3 * vision.imageSize() * vision.imageSize();
        for (int n = 0; n < images; n++) {
            if (progress.cancelled()) return null;
            long tn = System.nanoTime();
            float[] f = vision.encodePixels(pixels.pixelValues(), n * planeSize);
            System.arraycopy(f, 0, features, n * perImage * nEmbd, perImage * nEmbd);
            progress.step("encode", n + 1, images, secondsSince(tn));
        }
        if (images > 0) {
            double encode = secondsSince(t1);
            timings.add("encode", encode);
            progress.stage("encode", encode);
        }
        return new SmolVlmPrompt(inputs.expandedPrompt(), ids, features, images, framesUsed, timings);
    }

    private static void checkTileSize(int tile, SmolVlmModel vision) {
        if (tile != vision.imageSize()) {
            throw new IllegalArgumentException("the processor's max_image_size " + tile + " differs from the mmproj's clip.vision.image_size "
                    + vision.imageSize() + ": the processor does not belong to this vision encoder");
        }
    }

    /** A video reader seen as the sampler's frame source; frames are decoded only when sampled. */
    private static SmolVlmVideoSampler.Video videoOf(VideoReader reader) {
        SmolVlmVideoSampler.VideoMetadata metadata = SmolVlmVideoSampler.VideoMetadata.ofFrames(reader.frameCount(), reader.fps());
        return new SmolVlmVideoSampler.Video() {
            @Override
            public SmolVlmVideoSampler.VideoMetadata metadata() {
                return metadata;
            }

            @Override
            public SmolVlmImageProcessor.Image frame(int index) throws IOException {
                VideoReader.RgbFrame f = reader.frame(index);
                return SmolVlmImageProcessor.Image.rgb(f.width(), f.height(), f.rgb());
            }
        };
    }

    private static double secondsSince(long nanoTime) {
        return (System.nanoTime() - nanoTime) / 1e9;
    }
}
