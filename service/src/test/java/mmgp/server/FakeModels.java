package mmgp.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import mmgp.api.ImageRequest;
import mmgp.api.ImageResult;
import mmgp.api.InvalidRequestException;
import mmgp.api.StageTimings;
import mmgp.api.Task;
import mmgp.api.UnderstandRequest;
import mmgp.api.UnderstandResult;
import mmgp.api.VideoRequest;
import mmgp.api.VideoResult;
import mmgp.engine.Engine;
import mmgp.engine.FakeProvider;
import mmgp.engine.spi.BatchItem;
import mmgp.engine.spi.BatchModel;
import mmgp.engine.spi.CostEstimate;
import mmgp.engine.spi.ModelProvider;

/** One fast fake model per task, their providers and model files: an engine without native code. */
public final class FakeModels {
    final FakeModel<ImageRequest, ImageResult> image = new FakeModel<>() {
        @Override
        public void validate(ImageRequest r) {
            if (r.options().width() % 16 != 0) throw new InvalidRequestException("width", "must be a multiple of 16, got " + r.options().width());
        }

        @Override
        public Object batchKey(ImageRequest r) {
            return List.of(r.options().steps(), r.options().width(), r.options().height());
        }

        /** 256 bytes and 10⁶ FLOPs per step for each pixel of each image; native 256×256, and 0 sides mean 16. */
        @Override
        public CostEstimate estimate(List<ImageRequest> batch) {
            var o = batch.getFirst().options();
            int w = o.width() == 0 ? 16 : o.width(), h = o.height() == 0 ? 16 : o.height();
            long pixels = (long) batch.size() * w * h;
            return new CostEstimate((batch.size() == 1 ? "this " : "this batch of " + batch.size() + " ") + w + "×" + h + " image", pixels * 256,
                    pixels * o.steps() * 1e6, new CostEstimate.Size(w, h), new CostEstimate.Size(256, 256));
        }

        @Override
        String prompt(ImageRequest r) {
            return r.prompt();
        }

        @Override
        int steps(ImageRequest r) {
            return r.options().steps();
        }

        @Override
        String stage() {
            return "denoise";
        }

        @Override
        ImageResult result(BatchItem<ImageRequest> item, int batchSize, StageTimings t) {
            int w = item.request().options().width() == 0 ? 16 : item.request().options().width();
            int h = item.request().options().height() == 0 ? 16 : item.request().options().height();
            float[] rgb = new float[3 * w * h];
            for (int i = 0; i < rgb.length; i += 3) rgb[i] = 1f; // red: the download test checks the pixel
            return new ImageResult(w, h, rgb, item.request().options().seed(), t, batchSize);
        }
    };

    /** The last video request the fake video model ran. */
    volatile VideoRequest lastVideo;

    final FakeModel<VideoRequest, VideoResult> video = new FakeModel<>() {
        @Override
        public void validate(VideoRequest r) {
            if ((r.options().frames() - 1) % 8 != 0) throw new InvalidRequestException("frames", "must be 8·n+1, got " + r.options().frames());
        }

        @Override
        public Object batchKey(VideoRequest r) {
            return List.of(r.options().frames(), r.options().width(), r.options().height(), r.options().steps());
        }

        /** 64 bytes and 10⁶ FLOPs per step for each pixel of each frame; native 512×512. */
        @Override
        public CostEstimate estimate(List<VideoRequest> batch) {
            var o = batch.getFirst().options();
            long voxels = (long) batch.size() * o.width() * o.height() * o.frames();
            return new CostEstimate("this " + o.width() + "×" + o.height() + "×" + o.frames() + " video" + (batch.size() > 1 ? " (batch of " + batch.size() + ")" : ""),
                    voxels * 64, voxels * o.steps() * 1e6, new CostEstimate.Size(o.width(), o.height()), new CostEstimate.Size(512, 512));
        }

        @Override
        String prompt(VideoRequest r) {
            return r.prompt();
        }

        @Override
        int steps(VideoRequest r) {
            return r.options().steps();
        }

        @Override
        String stage() {
            return "denoise";
        }

        @Override
        VideoResult result(BatchItem<VideoRequest> item, int batchSize, StageTimings t) {
            lastVideo = item.request();
            var o = item.request().options();
            float[] rgb = new float[3 * o.frames() * o.width() * o.height()];
            java.util.Arrays.fill(rgb, 0.5f);
            return new VideoResult(o.frames(), o.width(), o.height(), o.frameRate(), rgb, o.seed(), t, batchSize);
        }
    };

    /** Streams its caption word by word to each caller, one word per step. */
    final FakeModel<UnderstandRequest, UnderstandResult> understand = new FakeModel<>() {
        @Override
        public void validate(UnderstandRequest r) {}

        @Override
        public Object batchKey(UnderstandRequest r) {
            return "all";
        }

        @Override
        String prompt(UnderstandRequest r) {
            return r.prompt();
        }

        @Override
        int steps(UnderstandRequest r) {
            return Math.min(r.options().maxNewTokens(), CAPTION.length);
        }

        @Override
        String stage() {
            return "generate";
        }

        @Override
        public List<UnderstandResult> run(List<BatchItem<UnderstandRequest>> items, mmgp.api.ProgressListener batch) throws Exception {
            List<UnderstandResult> results = super.run(items, new mmgp.api.ProgressListener() {
                @Override
                public void step(String stage, int done, int total, double seconds) {
                    for (BatchItem<UnderstandRequest> item : items) item.listener().text("caption", (done > 1 ? " " : "") + CAPTION[done - 1]);
                    batch.step(stage, done, total, seconds);
                }

                @Override
                public void stage(String stage, double seconds) {
                    batch.stage(stage, seconds);
                }

                @Override
                public boolean cancelled() {
                    return batch.cancelled();
                }
            });
            return results;
        }

        @Override
        UnderstandResult result(BatchItem<UnderstandRequest> item, int batchSize, StageTimings t) {
            int n = steps(item.request());
            String text = String.join(" ", java.util.Arrays.copyOf(CAPTION, n));
            return new UnderstandResult(text, 12, n, 4, 0.01, 100.0, n == CAPTION.length ? "end_of_utterance" : "max_tokens", t, batchSize);
        }
    };

    static final String[] CAPTION = {"a", "red", "ball", "rolls", "across", "the", "floor"};
    private final Path dir;

    public FakeModels(Path dir) {
        this.dir = dir;
    }

    /** The provider of the fake image model (without step delays): it opens any file whose name starts with "fakeimage" (the CLI's tests). */
    public ModelProvider fastImageProvider() {
        image.stepMillis = 0;
        return new FakeProvider(Task.IMAGE, "fakeimage", image);
    }

    /** All three tasks with a small queue. */
    Engine.Builder builder(int queueCapacity) {
        return Engine.builder()
                .provider(new FakeProvider(Task.UNDERSTAND, "fakevlm", understand))
                .provider(new FakeProvider(Task.IMAGE, "fakeimage", image))
                .provider(new FakeProvider(Task.VIDEO, "fakevideo", video))
                .model(Task.UNDERSTAND, file("fakevlm.gguf"))
                .model(Task.IMAGE, file("fakeimage.gguf"))
                .model(Task.VIDEO, file("fakevideo.gguf"))
                .threads(1)
                .queueCapacity(queueCapacity)
                .maxWait(java.time.Duration.ofMillis(5))
                .closeTimeout(java.time.Duration.ofSeconds(1));
    }

    /** Only an image model: the other tasks answer "model not configured". */
    Engine.Builder imageOnly() {
        return Engine.builder().provider(new FakeProvider(Task.IMAGE, "fakeimage", image)).model(Task.IMAGE, file("fakeimage.gguf")).threads(1);
    }

    /** A/B routing: the image task split between two variants (both the fake image model, from two files). */
    Engine.Builder imageVariants(long seed, String a, double weightA, String b, double weightB) {
        return Engine.builder().provider(new FakeProvider(Task.IMAGE, "fakeimage", image))
                .variant(Task.IMAGE, a, file("fakeimage-" + a + ".gguf"), weightA)
                .variant(Task.IMAGE, b, file("fakeimage-" + b + ".gguf"), weightB)
                .variantSeed(seed).threads(1).queueCapacity(1024)
                .maxWait(java.time.Duration.ofMillis(2)).closeTimeout(java.time.Duration.ofSeconds(1));
    }

    private Path file(String name) {
        try {
            Path p = dir.resolve(name);
            if (!Files.exists(p)) Files.writeString(p, "fake");
            return p;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
