package mmgp.models.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import mmgp.api.InvalidRequestException;
import mmgp.api.Media;
import mmgp.api.ProgressListener;
import mmgp.api.UnderstandOptions;
import mmgp.api.UnderstandRequest;
import mmgp.api.UnderstandResult;
import mmgp.engine.spi.BatchItem;
import mmgp.engine.spi.BatchModel;
import mmgp.engine.spi.CostEstimate;
import mmgp.media.VideoReader;
import mmgp.models.smolvlm.SmolVlmCost;
import mmgp.models.smolvlm.SmolVlmMedia;
import mmgp.models.smolvlm.SmolVlmModel;
import mmgp.models.smolvlm.SmolVlmProcessor;
import mmgp.models.smolvlm.SmolVlmUnderstanding;

/**
 * A loaded SmolVLM2 serving understanding requests. A batch runs as one
 * {@link SmolVlmUnderstanding#understandAll} call (continuous batching: each request has its own
 * sequence, options, seed and stream), so any requests may share a run and the batch key is a
 * constant. Each request streams its text to its own listener and may be cancelled alone.
 */
final class SmolVlmBatchModel implements BatchModel<UnderstandRequest, UnderstandResult> {
    /** Every request batches with every other: options are per sequence. */
    private static final Object ANY = "smolvlm2";
    private static final System.Logger LOG = System.getLogger(SmolVlmBatchModel.class.getName());

    private final SmolVlmUnderstanding understanding;
    private final String description;
    private final Path scratch;
    private final long textParams;
    /** Image headers' sizes by file: the dispatcher estimates under its queue's lock, so each file is read once. */
    private final Map<Path, int[]> imageSizes = new ConcurrentHashMap<>();

    /** @param scratch a folder of converted files to delete on close, or null */
    SmolVlmBatchModel(SmolVlmUnderstanding understanding, String description, Path scratch) {
        this.understanding = understanding;
        this.description = description;
        this.scratch = scratch;
        this.textParams = understanding.model().textParams();
    }

    /** The loaded model, for tests that measure what a request holds. */
    SmolVlmUnderstanding understanding() {
        return understanding;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public void validate(UnderstandRequest request) {
        switch (request.media()) {
            case Media.VideoFile v -> requireFile("video", v.file());
            case Media.ImageFile i -> requireFile("image", i.file());
            case Media.None none -> { }
        }
        UnderstandOptions o = request.options();
        int sequences = understanding.settings().maxSequences();
        if (o.beams() > sequences) {
            throw new InvalidRequestException("beams", "a beam takes a sequence id and this model was opened with " + sequences + ", got " + o.beams());
        }
        // What understandAll reserves, with the prompt's least size: a request that cannot fit alone is refused here, not in the batch it would fail
        int context = understanding.contextTokens();
        long prompt = Math.max(1, promptFloor(request));
        long newTokens = (long) o.beams() * o.maxNewTokens();
        if (prompt + newTokens > context) {
            String what = o.beams() > 1 ? "beams × max_new_tokens (" + o.beams() + " × " + o.maxNewTokens() + " = " + newTokens + ")" : "max_new_tokens " + newTokens;
            throw new InvalidRequestException(o.beams() > 1 ? "beams" : "max_new_tokens", what + " and a prompt of at least " + prompt
                    + " positions do not fit the model's context of " + context + " tokens; lower max_new_tokens" + (o.beams() > 1 ? " or beams" : ""));
        }
    }

    /**
     * The fewest prompt positions the request can take: its text's tokens (the chat template adds
     * more) and its media's image features, an image's tiles as its header gives them (one when
     * unreadable), a video's one frame.
     */
    private long promptFloor(UnderstandRequest r) {
        SmolVlmProcessor p = understanding.processor();
        int tiles = switch (r.media()) {
            case Media.VideoFile v -> SmolVlmCost.videoTiles(p, 1);
            case Media.ImageFile i -> {
                int[] wh = imageSize(i.file());
                yield wh[0] > 0 && wh[1] > 0 ? imageTiles(p, wh) : 1;
            }
            case Media.None none -> 0;
        };
        return p.tokenizer().tokenize(r.prompt()).size() + (long) tiles * p.imageSeqLen();
    }

    private static int imageTiles(SmolVlmProcessor p, int[] wh) {
        return SmolVlmCost.imageTiles(p.imageProcessor().config(), p.imageProcessor().config().size(), wh[0], wh[1]);
    }

    /** An image's header size, read once per file: the dispatcher validates and estimates under its queue's lock. */
    private int[] imageSize(Path file) {
        if (imageSizes.size() > 256) imageSizes.clear(); // uploads are per job; this bounds the map
        return imageSizes.computeIfAbsent(file, SmolVlmBatchModel::readImageSize);
    }

    private static void requireFile(String field, Path file) {
        if (!Files.exists(file)) throw new InvalidRequestException(field, "no such file: " + file);
        if (!Files.isRegularFile(file)) throw new InvalidRequestException(field, "not a regular file: " + file);
        if (!Files.isReadable(file)) throw new InvalidRequestException(field, "file is not readable: " + file);
    }

    @Override
    public Object batchKey(UnderstandRequest request) {
        return ANY;
    }

    /**
     * The processor's arithmetic ({@link SmolVlmCost}): the context and the encoders' buffers are
     * allocated when the model loads, so a batch adds only its tiles' pixels and image features;
     * an image's tiles follow its header's size, a video's its frame cap.
     */
    @Override
    public CostEstimate estimate(List<UnderstandRequest> batch) {
        SmolVlmModel m = understanding.model();
        SmolVlmProcessor p = understanding.processor();
        int tokensPerTile = p.imageSeqLen();
        long bytes = 0;
        double flops = 0;
        for (UnderstandRequest r : batch) {
            int tiles = switch (r.media()) {
                case Media.VideoFile v -> SmolVlmCost.videoTiles(p, r.options().maxFrames());
                case Media.ImageFile i -> imageTiles(p, imageSize(i.file()));
                case Media.None none -> 0;
            };
            bytes += SmolVlmCost.mediaBytes(tiles, p.imageProcessor().config().maxImageSize(), tokensPerTile, m.nEmbd());
            // every beam decodes its own tokens over the shared prompt
            flops += SmolVlmCost.flops(SmolVlmCost.promptPositions(r.prompt(), tiles, tokensPerTile), r.options().beams() * r.options().maxNewTokens(),
                    tiles, textParams, m.visionTower());
        }
        String what = batch.size() == 1 ? "this question" : "these " + batch.size() + " questions";
        return new CostEstimate(what, bytes, flops, null, null);
    }

    /** An image's width and height from its header, or {0, 0} when it cannot be read (the estimate then bounds any size). */
    private static int[] readImageSize(Path file) {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) return new int[2];
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return new int[] {reader.getWidth(0), reader.getHeight(0)};
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return new int[2];
        }
    }

    @Override
    public int maxBatch() {
        return understanding.settings().maxSequences();
    }

    @Override
    public List<UnderstandResult> run(List<BatchItem<UnderstandRequest>> items, ProgressListener batch) throws IOException {
        // A file that cannot be decoded fails the batch here, before any request streamed text
        // (the engine then retries the requests one by one, and only the bad one fails).
        for (BatchItem<UnderstandRequest> item : items) probe(item.request().media());
        List<SmolVlmUnderstanding.Request> requests = new ArrayList<>(items.size());
        for (BatchItem<UnderstandRequest> item : items) {
            UnderstandRequest r = item.request();
            requests.add(new SmolVlmUnderstanding.Request(media(r.media()), r.prompt(), r.options(), new ItemTokenListener(item.listener(), batch)));
        }
        List<SmolVlmUnderstanding.Result> results = understanding.understandAll(requests);
        List<UnderstandResult> out = new ArrayList<>(results.size());
        for (SmolVlmUnderstanding.Result r : results) {
            SmolVlmUnderstanding.Stats s = r.stats();
            out.add(new UnderstandResult(r.text(), s.promptTokens(), s.generatedTokens(), s.framesUsed(), s.timeToFirstTokenSeconds(),
                    s.tokensPerSecond(), r.stopReason().name().toLowerCase(Locale.ROOT), Timings.copyOf(s.timings()), items.size()));
        }
        return out;
    }

    /** Reads the container header of a video, or finds an image reader for an image. */
    private static void probe(Media media) throws IOException {
        switch (media) {
            case Media.VideoFile v -> VideoReader.open(v.file()).close(); // opening parses the header and the stream's metadata
            case Media.ImageFile i -> {
                try (ImageInputStream in = ImageIO.createImageInputStream(i.file().toFile())) {
                    Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
                    if (readers == null || !readers.hasNext()) throw new IOException(i.file() + ": not an image format this server reads (PNG, JPEG, BMP, GIF)");
                }
            }
            case Media.None none -> { }
        }
    }

    static SmolVlmMedia media(Media media) {
        return switch (media) {
            case Media.VideoFile v -> SmolVlmMedia.video(v.file());
            case Media.ImageFile i -> SmolVlmMedia.image(i.file());
            case Media.None none -> SmolVlmMedia.none();
        };
    }

    @Override
    public void close() {
        try {
            understanding.close();
        } finally {
            if (scratch != null) mmgp.io.ScratchFolders.delete(scratch);
        }
    }

    /** Deletes a scratch folder; what cannot be deleted stays, with a warning (temporary files, not worth failing a close). */
    static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                if (!p.toFile().delete() && Files.exists(p)) LOG.log(System.Logger.Level.WARNING, "could not delete the converted model file " + p);
            });
        } catch (IOException | UncheckedIOException e) {
            LOG.log(System.Logger.Level.WARNING, "could not delete the converted model folder " + root + "; it is left for the OS's temp cleaning", e);
        }
    }
}
