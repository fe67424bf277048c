package mmgp.models.smolvlm;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import mmgp.api.ProgressListener;
import mmgp.api.StageTimings;
import mmgp.bindings.llama.Llama;
import mmgp.bindings.llama.LlamaBatch;
import mmgp.bindings.llama.LlamaContextParams;
import mmgp.bindings.llama.LlamaException;
import mmgp.media.VideoReader;
import mmgp.models.smolvlm.SmolVlmChatTemplate.Item;
import mmgp.models.smolvlm.SmolVlmChatTemplate.Message;
import mmgp.sampling.RepetitionPenalty;
import mmgp.sampling.Rng;
import mmgp.sampling.SamplingParameters;
import mmgp.sampling.SplitMix64Rng;
import mmgp.sampling.TokenSampler;

/**
 * SmolVLM2 image and video understanding: a prompt about an image or a video in, the model's
 * answer out, streamed as text pieces.
 *
 * <p>How a request runs:
 * <ol>
 *   <li>The conversation {@code User: <media><prompt>} goes through {@link SmolVlmProcessor}
 *       (chat template; videos sampled at the processor's fps up to its frame cap, each frame with
 *       its timestamp line; images split into tiles plus the global image), which gives the
 *       expanded prompt and the normalized pixels of every tile or frame, exactly as transformers
 *       computes them.</li>
 *   <li>Each tile/frame is encoded by libmtmd ({@link SmolVlmModel#encodePixels}: mtmd_encode_chunk
 *       on the processor's float pixels). mtmd's own idefics3 preprocessing is not used: it resizes
 *       every bitmap to {@code preproc_image_size} (2048 for SmolVLM2) before slicing, so a 512 video
 *       frame or a processor tile given as a bitmap would become 16 tiles + an overview, and its
 *       Lanczos and prompt layout (a single "\n\n" token) differ from the processor's PIL-exact
 *       resize and BPE. With the processor's pixels the features are those of the Hugging Face
 *       model, and the fixture without a "\n\n" token works too.</li>
 *   <li>The prompt's token ids, with image features in place of the {@code <image>} tokens, are
 *       decoded by llama_decode (token batches and embedding batches) into the request's sequence.</li>
 *   <li>A Java loop picks tokens from the logits read in place ({@code llama_get_logits_ith}):
 *       {@link TokenSampler} (greedy, temperature, top-k, top-p, min-p, repetition penalty) or a
 *       beam search over sequence ids ({@code llama_memory_seq_cp}), until {@code <end_of_utterance>}
 *       or another end-of-generation token, or the token budget.</li>
 * </ol>
 *
 * <p>{@link #understandAll} runs several requests together on one llama context: each holds its
 * own sequence ids (one per beam), every decode step puts the next token of all active sequences
 * into one llama_batch, and a finished request frees its sequences (llama_memory_seq_rm) so a
 * waiting one can start (continuous batching). The KV cache is unified: a request is admitted
 * when its prompt plus beams × max new tokens fits beside the ones running.
 *
 * <p>Calls are serialized (the llama context is single-threaded); instances must be closed.
 */
public final class SmolVlmUnderstanding implements AutoCloseable {

    // ---------------------------------------------------------------- public types

    /**
     * Engine settings.
     *
     * @param contextTokens KV cells shared by all running requests (llama.cpp rounds up to 256)
     * @param batchTokens   most tokens one llama_decode takes (prompt chunks)
     * @param maxSequences  sequence ids: requests (× beams) that run at once
     * @param threads       CPU threads for the text model and the vision encoder
     * @param exactNumerics F32 KV cache and no flash attention in the LLM or the vision encoder (results match a plain F32 forward);
     *                      otherwise llama.cpp's defaults, F16 KV cache and flash attention when available
     */
    public record Settings(int contextTokens, int batchTokens, int maxSequences, int threads, boolean exactNumerics) {
        public Settings {
            if (contextTokens < 1 || batchTokens < 1 || maxSequences < 1 || threads < 1) {
                throw new IllegalArgumentException("settings must be positive: " + contextTokens + " context tokens, "
                        + batchTokens + " batch tokens, " + maxSequences + " sequences, " + threads + " threads");
            }
        }

        public static Settings defaults() {
            return new Settings(8192, 512, 4, Math.max(1, Runtime.getRuntime().availableProcessors()), false);
        }

        public Settings withContextTokens(int n) { return new Settings(n, batchTokens, maxSequences, threads, exactNumerics); }
        public Settings withBatchTokens(int n) { return new Settings(contextTokens, n, maxSequences, threads, exactNumerics); }
        public Settings withMaxSequences(int n) { return new Settings(contextTokens, batchTokens, n, threads, exactNumerics); }
        public Settings withThreads(int n) { return new Settings(contextTokens, batchTokens, maxSequences, n, exactNumerics); }
        public Settings withExactNumerics(boolean exact) { return new Settings(contextTokens, batchTokens, maxSequences, threads, exact); }
    }

    /** What the prompt is about: nothing, an image, or a video. */
    public sealed interface Media {
        record None() implements Media {}
        record ImageFile(Path file) implements Media { public ImageFile { Objects.requireNonNull(file, "file"); } }
        record Image(BufferedImage image) implements Media { public Image { Objects.requireNonNull(image, "image"); } }
        record VideoFile(Path file) implements Media { public VideoFile { Objects.requireNonNull(file, "file"); } }
        /** Frames already in memory (metadata and frame access as a video reader gives them). */
        record Video(SmolVlmVideoSampler.Video video) implements Media { public Video { Objects.requireNonNull(video, "video"); } }

        Set<String> VIDEO_EXTENSIONS = Set.of("mp4", "m4v", "mov", "webm", "mkv", "avi", "mpg", "mpeg", "gif");

        static Media none() { return new None(); }
        static Media image(Path file) { return new ImageFile(file); }
        static Media image(BufferedImage image) { return new Image(image); }
        static Media video(Path file) { return new VideoFile(file); }
        static Media video(SmolVlmVideoSampler.Video video) { return new Video(video); }

        /** A file by its extension: the video containers above (GIFs play as videos), else an image. */
        static Media file(Path file) {
            String name = file.getFileName().toString();
            String ext = name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
            return VIDEO_EXTENSIONS.contains(ext) ? video(file) : image(file);
        }
    }

    /**
     * Generation options.
     *
     * @param maxNewTokens most tokens to generate (the stop token included)
     * @param minNewTokens end-of-generation tokens are masked before this many tokens (HF's min_new_tokens)
     * @param sampling     token selection; {@link SamplingParameters#GREEDY} picks the argmax
     * @param seed         seed of the request's own random stream (sampling only)
     * @param beams        beam width; above 1 a deterministic beam search (length-normalized scores,
     *                     repetition penalty applied, other sampling settings ignored), whose text
     *                     is streamed when the search ends
     * @param maxFrames    frame cap for videos; 0 keeps the processor's (64 for SmolVLM2)
     */
    public record Options(int maxNewTokens, int minNewTokens, SamplingParameters sampling, long seed, int beams, int maxFrames) {
        public Options {
            Objects.requireNonNull(sampling, "sampling");
            if (maxNewTokens < 1) throw new IllegalArgumentException("max new tokens must be positive: " + maxNewTokens);
            if (minNewTokens < 0 || minNewTokens > maxNewTokens) {
                throw new IllegalArgumentException("min new tokens must be in [0, " + maxNewTokens + "]: " + minNewTokens);
            }
            if (beams < 1) throw new IllegalArgumentException("beam width must be positive: " + beams);
            if (maxFrames < 0) throw new IllegalArgumentException("max frames must be >= 0: " + maxFrames);
        }

        public static Options defaults() {
            return new Options(128, 0, SamplingParameters.GREEDY, 0, 1, 0);
        }

        public Options withMaxNewTokens(int n) { return new Options(n, Math.min(minNewTokens, n), sampling, seed, beams, maxFrames); }
        public Options withMinNewTokens(int n) { return new Options(maxNewTokens, n, sampling, seed, beams, maxFrames); }
        public Options withSampling(SamplingParameters s) { return new Options(maxNewTokens, minNewTokens, s, seed, beams, maxFrames); }
        public Options withSeed(long s) { return new Options(maxNewTokens, minNewTokens, sampling, s, beams, maxFrames); }
        public Options withBeams(int n) { return new Options(maxNewTokens, minNewTokens, sampling, seed, n, maxFrames); }
        public Options withMaxFrames(int n) { return new Options(maxNewTokens, minNewTokens, sampling, seed, beams, n); }
    }

    /**
     * Hears the answer as it is generated, and may cancel it ({@link #cancelled()}, checked before
     * each image encode, prompt chunk and decode step).
     */
    @FunctionalInterface
    public interface TokenListener extends ProgressListener {
        TokenListener NONE = piece -> { };

        /** The next piece of text: whole UTF-8 characters only, so a character split across tokens comes in one piece. */
        void token(String piece);
    }

    /** Why generation ended. */
    public enum StopReason { END_OF_UTTERANCE, MAX_TOKENS, CANCELLED }

    /**
     * Per-request measurements.
     *
     * @param promptTokens          KV positions of the prompt (text tokens + image features)
     * @param imageTokens           of which image feature rows
     * @param imagesEncoded         tiles or frames run through the vision encoder
     * @param framesUsed            video frames sampled (0 for images)
     * @param generatedTokens       tokens generated, stop token included
     * @param timeToFirstTokenSeconds from the call to the first generated token
     * @param promptTokensPerSecond prompt positions over the prompt's llama_decode time (vision encoder excluded)
     * @param tokensPerSecond       generation speed after the first token: (generated − 1) / (last − first token time)
     * @param timings               wall-clock seconds of preprocess, encode, prefill, generate
     */
    public record Stats(int promptTokens, int imageTokens, int imagesEncoded, int framesUsed, int generatedTokens,
                        double timeToFirstTokenSeconds, double promptTokensPerSecond, double tokensPerSecond, StageTimings timings) {}

    /** The answer: its text (stop token excluded), the generated ids (stop token included), why it ended, measurements. */
    public record Result(String text, int[] tokens, StopReason stopReason, Stats stats) {}

    /** One request of {@link #understandAll}. */
    public record Request(Media media, String prompt, Options options, TokenListener listener) {
        public Request {
            Objects.requireNonNull(media, "media");
            Objects.requireNonNull(prompt, "prompt");
            Objects.requireNonNull(options, "options");
            if (listener == null) listener = TokenListener.NONE;
        }

        public Request(Media media, String prompt, Options options) {
            this(media, prompt, options, TokenListener.NONE);
        }
    }

    /**
     * A request's model input: token ids (image positions hold the {@code <image>} id), the image
     * features for those positions (rows of n_embd, in order), and where they came from.
     */
    public record Prompt(String expandedPrompt, int[] ids, float[] imageFeatures, int imagesEncoded, int framesUsed,
                         StageTimings timings) {}

    // ---------------------------------------------------------------- construction

    private static final int GGML_TYPE_F32 = 0, GGML_TYPE_F16 = 1;

    private final SmolVlmModel vision;
    private final SmolVlmProcessor processor;
    private final boolean llamaTokenizesPrompts;
    private final Settings settings;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment ctx, memory, vocab;
    private final MemorySegment tokenBatch, embdBatch, stepBatch;
    private final int nCtx, nBatch, nVocab, nEmbd, imageTokenId;
    private final int[] stopTokenIds;
    private final boolean[] isStopToken;
    private final TokenSampler sampler;
    private final RepetitionPenalty repetitionPenalty;
    private boolean closed;

    private SmolVlmUnderstanding(Path textModel, Path mmproj, SmolVlmProcessor processor, boolean llamaTokenizesPrompts, Settings s)
            throws IOException {
        this.processor = Objects.requireNonNull(processor, "processor");
        this.llamaTokenizesPrompts = llamaTokenizesPrompts;
        this.settings = Objects.requireNonNull(s, "settings");
        // SmolVlmModel holds the weights, the mtmd context and the pixel encoder; its own small
        // llama context stays idle: requests run on the unified multi-sequence context made here.
        try {
            this.vision = SmolVlmModel.load(textModel, mmproj, new SmolVlmModel.Options(256, 64, 1, s.threads(), !s.exactNumerics()));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
        MemorySegment c = null;
        try {
            MemorySegment model = vision.llamaModel();
            MemorySegment cp = Llama.contextDefaultParams(arena);
            LlamaContextParams.nCtx(cp, s.contextTokens());
            LlamaContextParams.nBatch(cp, s.batchTokens());
            LlamaContextParams.nUbatch(cp, s.batchTokens());
            LlamaContextParams.nSeqMax(cp, s.maxSequences());
            LlamaContextParams.kvUnified(cp, true); // beams share prompt cells; one pool of cells for all requests
            LlamaContextParams.nThreads(cp, s.threads());
            LlamaContextParams.nThreadsBatch(cp, s.threads());
            LlamaContextParams.flashAttnType(cp, s.exactNumerics() ? LlamaContextParams.FLASH_ATTN_DISABLED : LlamaContextParams.FLASH_ATTN_AUTO);
            LlamaContextParams.typeK(cp, s.exactNumerics() ? GGML_TYPE_F32 : GGML_TYPE_F16);
            LlamaContextParams.typeV(cp, s.exactNumerics() ? GGML_TYPE_F32 : GGML_TYPE_F16);
            LlamaContextParams.offloadKqv(cp, false);
            LlamaContextParams.noPerf(cp, true);
            c = Llama.initFromModel(model, cp);
            this.ctx = c;
            this.memory = Llama.getMemory(c);
            this.vocab = Llama.modelGetVocab(model);
            this.nCtx = Llama.nCtx(c);
            this.nBatch = Llama.nBatch(c);
            this.nVocab = vision.nVocab();
            this.nEmbd = vision.nEmbd();
            this.imageTokenId = vision.imageTokenId();
            if (imageTokenId < 0) throw new IllegalArgumentException(textModel + " has no <image> token: not a SmolVLM text model");
            if (processor.imageTokenId() != imageTokenId) {
                throw new IllegalArgumentException("the processor's <image> id " + processor.imageTokenId() + " differs from the model's "
                        + imageTokenId + ": the tokenizer does not belong to " + textModel);
            }
            this.isStopToken = stopTokens(vocab, nVocab, processor.tokenizer());
            this.stopTokenIds = java.util.stream.IntStream.range(0, nVocab).filter(t -> isStopToken[t]).toArray();
            this.tokenBatch = Llama.batchInit(arena, nBatch, 0, 1);
            this.embdBatch = Llama.batchInit(arena, nBatch, nEmbd, 1);
            this.stepBatch = Llama.batchInit(arena, s.maxSequences(), 0, 1);
            this.sampler = new TokenSampler(nVocab);
            this.repetitionPenalty = new RepetitionPenalty(nVocab);
            warmUp();
        } catch (RuntimeException e) {
            if (c != null) Llama.free(c);
            vision.close();
            arena.close();
            throw e;
        }
    }

    /**
     * One throwaway decode (as llama.cpp's tools do at load: graph allocation, first touch of the
     * weights) and a few hundred samples (the Vector API kernels run interpreted until the JIT
     * compiles them, milliseconds per token), so the first request measures the steady state.
     */
    private void warmUp() {
        LlamaBatch.clear(stepBatch);
        LlamaBatch.add(stepBatch, 0, 0, 0, true);
        decodeOrThrow(stepBatch, "the warm-up token");
        MemorySegment logits = Llama.getLogitsIth(ctx, -1).reinterpret(4L * nVocab);
        Rng rng = new SplitMix64Rng(0);
        int[] history = {0};
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment buffer = scratch.allocate(4L * nVocab, 64); // native, like the real logits
            for (int i = 0; i < 400; i++) {
                MemorySegment.copy(logits, 0, buffer, 0, 4L * nVocab);
                SamplingParameters p = i % 4 == 3 ? new SamplingParameters(0.8f, 40, 0.95f, 0.05f, 1.1f) : SamplingParameters.GREEDY;
                sampler.sample(buffer, nVocab, p, history, 1, rng);
            }
        }
        Llama.memoryClear(memory, false);
    }

    /** End-of-generation tokens: llama.cpp's EOG set (EOS, EOT, {@code <|im_end|>}...) and {@code <end_of_utterance>}. */
    private static boolean[] stopTokens(MemorySegment vocab, int nVocab, Gpt2Tokenizer tokenizer) {
        boolean[] stop = new boolean[nVocab];
        for (int t = 0; t < nVocab; t++) stop[t] = Llama.vocabIsEog(vocab, t);
        if (tokenizer.isAddedToken("<end_of_utterance>")) {
            int id = tokenizer.tokenToId("<end_of_utterance>");
            if (id >= 0 && id < nVocab) stop[id] = true;
        }
        return stop;
    }

    /**
     * Opens a converted model: {@code model} is a directory with the text GGUF and
     * {@code mmproj-*.gguf} (as {@code mmgp convert --model smolvlm} writes it), or the text GGUF
     * itself; {@code mmproj} may be null to find it beside the text model. When the directory also
     * holds the Hugging Face processor files (vocab.json, merges.txt, preprocessor_config.json),
     * they define the processor and tokenization; otherwise both come from the GGUFs
     * ({@link SmolVlmGgufProcessor}) and llama.cpp tokenizes the prompts.
     */
    public static SmolVlmUnderstanding open(Path model, Path mmproj, Settings settings) throws IOException {
        ModelFiles files = ModelFiles.locate(model, mmproj);
        if (files.processorFolder() != null) {
            return new SmolVlmUnderstanding(files.textModel(), files.mmproj(), SmolVlmProcessor.load(files.processorFolder()), false, settings);
        }
        return new SmolVlmUnderstanding(files.textModel(), files.mmproj(), SmolVlmGgufProcessor.load(files.textModel(), files.mmproj()), true, settings);
    }

    /** Opens the two GGUFs with a given processor, whose own tokenizer produces the prompt ids. */
    public static SmolVlmUnderstanding open(Path textModel, Path mmproj, SmolVlmProcessor processor, Settings settings) throws IOException {
        requireFile(textModel, "text model GGUF");
        requireFile(mmproj, "mmproj GGUF");
        return new SmolVlmUnderstanding(textModel, mmproj, processor, false, settings);
    }

    /** The text model, mmproj and (optional) Hugging Face processor folder of a model path. */
    record ModelFiles(Path textModel, Path mmproj, Path processorFolder) {
        static ModelFiles locate(Path model, Path mmproj) throws IOException {
            if (!Files.exists(model)) {
                throw new IOException("no SmolVLM model at " + model + ": convert HuggingFaceTB/SmolVLM2-256M-Video-Instruct with "
                        + "`mmgp convert --model smolvlm <hf-folder> " + model + "`, or pass the directory holding the text GGUF and its mmproj");
            }
            Path dir = Files.isDirectory(model) ? model : model.toAbsolutePath().getParent();
            Path text;
            if (Files.isDirectory(model)) {
                List<Path> texts = ggufs(dir).stream().filter(p -> !isMmproj(p)).toList();
                if (texts.isEmpty()) throw new IOException(dir + " holds no text model GGUF (a *.gguf not named mmproj-*)");
                if (texts.size() > 1) throw new IOException(dir + " holds several text model GGUFs " + names(texts) + ": pass one as --model");
                text = texts.get(0);
            } else {
                text = model;
            }
            if (mmproj == null) {
                List<Path> projectors = ggufs(dir).stream().filter(ModelFiles::isMmproj).toList();
                if (projectors.isEmpty()) throw new IOException("no mmproj-*.gguf beside " + text + ": pass --mmproj");
                if (projectors.size() > 1) throw new IOException(dir + " holds several projectors " + names(projectors) + ": pass --mmproj");
                mmproj = projectors.get(0);
            }
            requireFile(mmproj, "mmproj GGUF");
            boolean hfProcessor = Stream.of("vocab.json", "merges.txt", "preprocessor_config.json").allMatch(f -> Files.isRegularFile(dir.resolve(f)));
            return new ModelFiles(text, mmproj, hfProcessor ? dir : null);
        }

        private static boolean isMmproj(Path p) {
            return p.getFileName().toString().toLowerCase(Locale.ROOT).startsWith("mmproj");
        }

        private static List<Path> ggufs(Path dir) throws IOException {
            try (Stream<Path> files = Files.list(dir)) {
                return files.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf") && Files.isRegularFile(p))
                        .sorted().toList();
            }
        }

        private static String names(List<Path> files) {
            return files.stream().map(p -> p.getFileName().toString()).toList().toString();
        }
    }

    private static void requireFile(Path file, String what) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("no " + what + " at " + file);
    }

    public SmolVlmProcessor processor() {
        return processor;
    }

    /** The weights, mtmd context and pixel encoder. */
    public SmolVlmModel model() {
        return vision;
    }

    public Settings settings() {
        return settings;
    }

    /** KV cells of the shared context (after llama.cpp's rounding). */
    public int contextTokens() {
        return nCtx;
    }

    // ---------------------------------------------------------------- entry points

    /** Answers {@code prompt} about {@code media}, streaming the answer to {@code listener}. */
    public Result understand(Media media, String prompt, Options options, TokenListener listener) throws IOException {
        return understandAll(List.of(new Request(media, prompt, options, listener))).get(0);
    }

    /**
     * Runs the requests together (continuous batching over sequence ids), results in request
     * order. Requests start in order as sequence ids and KV cells free up; a cancelled request ends
     * with {@link StopReason#CANCELLED} (and what it generated so far) while the others go on.
     *
     * @throws IllegalArgumentException when a request cannot fit the context or the sequence ids at all
     * @throws IOException when a media file cannot be read
     */
    public synchronized List<Result> understandAll(List<Request> requests) throws IOException {
        if (closed) throw new IllegalStateException("closed");
        for (Request r : requests) {
            if (r.options().beams() > settings.maxSequences()) {
                throw new IllegalArgumentException("beam width " + r.options().beams() + " needs as many sequence ids, but the context has "
                        + settings.maxSequences() + " (Settings.maxSequences)");
            }
            checkMediaExists(r.media());
        }
        long started = System.nanoTime();
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) jobs.add(new Job(requests.get(i), started));
        Deque<Job> waiting = new ArrayDeque<>(jobs);
        List<Job> active = new ArrayList<>();
        Deque<Integer> freeSeqs = new ArrayDeque<>();
        for (int s = 0; s < settings.maxSequences(); s++) freeSeqs.add(s);
        int reservedCells = 0;
        try {
            Llama.memoryClear(memory, false);
            while (!waiting.isEmpty() || !active.isEmpty()) {
                // Admit waiting requests while sequence ids and KV cells allow.
                while (!waiting.isEmpty()) {
                    Job job = waiting.peek();
                    if (freeSeqs.size() < job.options.beams()) break;
                    if (job.prompt == null && !job.prepare()) {
                        waiting.poll(); // cancelled while encoding
                        continue;
                    }
                    int cells = job.prompt.ids().length + job.options.beams() * job.options.maxNewTokens();
                    if (cells > nCtx) {
                        throw new IllegalArgumentException("a request needs " + cells + " KV cells (" + job.prompt.ids().length + " prompt positions + "
                                + job.options.beams() + " × " + job.options.maxNewTokens() + " new tokens) but the context has " + nCtx
                                + ": raise the context size or lower max tokens / frames");
                    }
                    if (reservedCells + cells > nCtx) break;
                    waiting.poll();
                    job.seqs = new int[job.options.beams()];
                    for (int b = 0; b < job.seqs.length; b++) job.seqs[b] = freeSeqs.poll();
                    job.cells = cells;
                    reservedCells += cells;
                    job.prefill();
                    if (job.stop == null) {
                        active.add(job);
                    } else {
                        reservedCells -= job.release(freeSeqs);
                    }
                }
                if (active.isEmpty()) continue;
                // One decode step for every active sequence.
                LlamaBatch.clear(stepBatch);
                for (Job job : active) {
                    if (job.listener.cancelled()) {
                        job.cancel();
                        continue;
                    }
                    job.addStepRows(stepBatch);
                }
                if (LlamaBatch.nTokens(stepBatch) > 0) {
                    decodeOrThrow(stepBatch, "a generation step");
                    for (Job job : active) if (job.stop == null) job.step();
                }
                for (var it = active.iterator(); it.hasNext(); ) {
                    Job job = it.next();
                    if (job.stop != null) {
                        reservedCells -= job.release(freeSeqs);
                        it.remove();
                    }
                }
            }
        } catch (RuntimeException | IOException e) {
            Llama.memoryClear(memory, false);
            throw e;
        }
        List<Result> results = new ArrayList<>(jobs.size());
        for (Job job : jobs) results.add(job.result());
        return results;
    }

    /**
     * Builds and encodes a request's model input: chat template, image splitting or video
     * sampling, tokenization, and the vision encoder over every tile/frame. Returns null when
     * {@code progress} cancels during encoding.
     */
    public synchronized Prompt prepare(Media media, String prompt, Options options, ProgressListener progress) throws IOException {
        if (closed) throw new IllegalStateException("SmolVLM2 model is closed");
        checkMediaExists(media);
        return buildPrompt(media, prompt, options, progress == null ? ProgressListener.NONE : progress);
    }

    private Prompt buildPrompt(Media media, String prompt, Options options, ProgressListener progress) throws IOException {
        StageTimings timings = new StageTimings();
        long t0 = System.nanoTime();
        SmolVlmProcessor p = processor;
        if (options.maxFrames() > 0) {
            SmolVlmVideoSampler.Config c = processor.videoSampler().config();
            p = processor.withVideoSampler(new SmolVlmVideoSampler(new SmolVlmVideoSampler.Config(c.fps(), options.maxFrames(), c.videoSize()), 1.0));
        }
        List<Item> content = new ArrayList<>();
        SmolVlmProcessor.Inputs inputs;
        VideoReader reader = null;
        try {
            switch (media) {
                case Media.None none -> { }
                case Media.ImageFile f -> content.add(Item.image(SmolVlmImageProcessor.Image.read(f.file())));
                case Media.Image i -> content.add(Item.image(SmolVlmImageProcessor.Image.fromBufferedImage(i.image())));
                case Media.VideoFile v -> {
                    reader = VideoReader.open(v.file());
                    content.add(Item.video(videoOf(reader)));
                }
                case Media.Video v -> content.add(Item.video(v.video()));
            }
            if (!prompt.isEmpty() || content.isEmpty()) content.add(Item.text(prompt));
            inputs = p.applyChatTemplate(List.of(new Message("user", content)), true);
        } finally {
            if (reader != null) reader.close();
        }
        int[] ids = llamaTokenizesPrompts ? Llama.tokenize(vocab, inputs.expandedPrompt(), false, true) : inputs.inputIds();
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
        double preprocess = seconds(t0);
        timings.add("preprocess", preprocess);
        progress.stage("preprocess", preprocess);

        long t1 = System.nanoTime();
        float[] features = images == 0 ? null : new float[imagePositions * nEmbd];
        int planeSize = images == 0 ? 0 : 3 * pixels.size() * pixels.size();
        for (int n = 0; n < images; n++) {
            if (progress.cancelled()) return null;
            long tn = System.nanoTime();
            float[] f = vision.encodePixels(Arrays.copyOfRange(pixels.pixelValues(), n * planeSize, (n + 1) * planeSize));
            System.arraycopy(f, 0, features, n * perImage * nEmbd, perImage * nEmbd);
            progress.step("encode", n + 1, images, seconds(tn));
        }
        if (images > 0) {
            double encode = seconds(t1);
            timings.add("encode", encode);
            progress.stage("encode", encode);
        }
        return new Prompt(inputs.expandedPrompt(), ids, features, images, framesUsed, timings);
    }

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

    private static void checkMediaExists(Media media) throws IOException {
        Path file = switch (media) {
            case Media.ImageFile f -> f.file();
            case Media.VideoFile v -> v.file();
            default -> null;
        };
        if (file != null && !Files.isRegularFile(file)) {
            throw new IOException(Files.exists(file) ? file + " is not a regular file" : "no such media file: " + file);
        }
    }

    // ---------------------------------------------------------------- one request

    /** A request in flight: its sequences, sampling state and measurements. */
    private final class Job {
        final Request request;
        final Options options;
        final TokenListener listener;
        final long submitted;
        final Rng rng;
        final Utf8Stream utf8 = new Utf8Stream();
        final StringBuilder text = new StringBuilder();
        Prompt prompt;
        int[] seqs;
        int cells;
        /** Prompt ids then generated tokens: the repetition-penalty history and the positions. */
        int[] history;
        int length;
        int generated;
        long firstToken = -1, lastToken;
        double prefillSeconds;
        StopReason stop;
        Beams beams;
        /** First row of this job in the step batch. */
        int stepRow;
        long stepStarted;

        Job(Request request, long submitted) {
            this.request = request;
            this.options = request.options();
            this.listener = request.listener();
            this.submitted = submitted;
            this.rng = new SplitMix64Rng(options.seed());
        }

        /** Processor + vision encoder; false when cancelled meanwhile. */
        boolean prepare() throws IOException {
            prompt = buildPrompt(request.media(), request.prompt(), options, listener);
            if (prompt == null) {
                stop = StopReason.CANCELLED;
                return false;
            }
            history = Arrays.copyOf(prompt.ids(), prompt.ids().length + options.maxNewTokens());
            length = prompt.ids().length;
            return true;
        }

        /** Decodes the prompt into the first sequence and picks the first token from its last logits. */
        void prefill() {
            long t0 = System.nanoTime();
            if (!decodePrompt(this)) {
                stop = StopReason.CANCELLED;
                return;
            }
            prefillSeconds = seconds(t0);
            prompt.timings().add("prefill", prefillSeconds);
            listener.stage("prefill", prefillSeconds);
            stepStarted = System.nanoTime();
            MemorySegment logits = Llama.getLogitsIth(ctx, -1).reinterpret(4L * nVocab);
            if (options.beams() > 1) {
                beams = new Beams(this);
                beams.step(new MemorySegment[] {logits});
            } else {
                accept(pick(logits));
            }
        }

        void addStepRows(MemorySegment batch) {
            stepRow = LlamaBatch.nTokens(batch);
            stepStarted = System.nanoTime();
            if (beams != null) {
                beams.addRows(batch);
            } else {
                LlamaBatch.add(batch, history[length - 1], length - 1, seqs[0], true);
            }
        }

        void step() {
            if (beams != null) {
                MemorySegment[] rows = new MemorySegment[beams.running];
                for (int b = 0; b < rows.length; b++) rows[b] = Llama.getLogitsIth(ctx, stepRow + b).reinterpret(4L * nVocab);
                beams.step(rows);
            } else {
                accept(pick(Llama.getLogitsIth(ctx, stepRow).reinterpret(4L * nVocab)));
            }
        }

        /** The next token from logits read in place (they are filtered in place too). */
        int pick(MemorySegment logits) {
            if (generated < options.minNewTokens()) maskStopTokens(logits);
            return sampler.sample(logits, nVocab, options.sampling(), history, length, rng);
        }

        void accept(int token) {
            markToken();
            history[length++] = token;
            generated++;
            listener.step("generate", generated, options.maxNewTokens(), seconds(stepStarted));
            if (isStopToken[token]) {
                stop = StopReason.END_OF_UTTERANCE;
            } else {
                emit(token);
                if (generated == options.maxNewTokens()) stop = StopReason.MAX_TOKENS;
            }
        }

        void markToken() {
            long now = System.nanoTime();
            if (firstToken < 0) firstToken = now;
            lastToken = now;
        }

        void emit(int token) {
            String piece = utf8.push(Llama.tokenToPiece(vocab, token, false));
            if (!piece.isEmpty()) {
                text.append(piece);
                listener.token(piece);
            }
        }

        void cancel() {
            stop = StopReason.CANCELLED;
            if (beams != null) beams.finishWithBestRunning();
        }

        /** Frees this job's sequences; returns the KV cells it had reserved. */
        int release(Deque<Integer> freeSeqs) {
            if (seqs != null) {
                for (int s : seqs) {
                    Llama.memorySeqRm(memory, s, -1, -1);
                    freeSeqs.add(s);
                }
                seqs = null;
            }
            String tail = utf8.finish();
            if (!tail.isEmpty()) {
                text.append(tail);
                listener.token(tail);
            }
            if (firstToken >= 0) {
                double generate = (lastToken - firstToken) / 1e9;
                prompt.timings().add("generate", generate);
                listener.stage("generate", generate);
            }
            int released = cells;
            cells = 0;
            return released;
        }

        Result result() {
            StageTimings timings = prompt == null ? new StageTimings() : prompt.timings();
            int promptTokens = prompt == null ? 0 : prompt.ids().length;
            int imageTokens = prompt == null || prompt.imageFeatures() == null ? 0 : prompt.imageFeatures().length / nEmbd;
            double ttft = firstToken < 0 ? Double.NaN : (firstToken - submitted) / 1e9;
            double promptRate = prefillSeconds > 0 ? promptTokens / prefillSeconds : Double.NaN;
            double rate = generated > 1 && lastToken > firstToken ? (generated - 1) / ((lastToken - firstToken) / 1e9) : Double.NaN;
            Stats stats = new Stats(promptTokens, imageTokens, prompt == null ? 0 : prompt.imagesEncoded(),
                    prompt == null ? 0 : prompt.framesUsed(), generated, ttft, promptRate, rate, timings);
            int[] tokens = Arrays.copyOfRange(history == null ? new int[0] : history, promptTokens, promptTokens + generated);
            return new Result(text.toString(), tokens, stop, stats);
        }
    }

    private void maskStopTokens(MemorySegment logits) {
        for (int t : stopTokenIds) logits.setAtIndex(ValueLayout.JAVA_FLOAT, t, Float.NEGATIVE_INFINITY);
    }

    /**
     * Decodes a prompt into the job's first sequence from position 0: runs of text tokens as token
     * batches, runs of {@code <image>} positions as embedding batches; logits only for the last
     * position. False when cancelled between chunks.
     */
    private boolean decodePrompt(Job job) {
        int[] ids = job.prompt.ids();
        float[] features = job.prompt.imageFeatures();
        int seq = job.seqs[0];
        int imageRow = 0;
        int i = 0;
        while (i < ids.length) {
            if (job.listener.cancelled()) return false;
            boolean image = ids[i] == imageTokenId;
            int j = i;
            while (j < ids.length && (ids[j] == imageTokenId) == image && j - i < nBatch) j++;
            MemorySegment batch = image ? embdBatch : tokenBatch;
            LlamaBatch.clear(batch);
            for (int k = i; k < j; k++) {
                boolean output = k == ids.length - 1;
                if (image) {
                    int e = k - i;
                    MemorySegment.copy(features, imageRow++ * nEmbd, LlamaBatch.embd(batch), ValueLayout.JAVA_FLOAT, (long) e * nEmbd * 4, nEmbd);
                    LlamaBatch.pos(batch).setAtIndex(ValueLayout.JAVA_INT, e, k);
                    LlamaBatch.nSeqId(batch).setAtIndex(ValueLayout.JAVA_INT, e, 1);
                    LlamaBatch.seqId(batch).getAtIndex(mmgp.bindings.CTypes.PTR, e).reinterpret(4).set(ValueLayout.JAVA_INT, 0, seq);
                    LlamaBatch.output(batch, e, output);
                    LlamaBatch.nTokens(batch, e + 1);
                } else {
                    if (ids[k] < 0 || ids[k] >= nVocab) throw new IndexOutOfBoundsException("token " + ids[k] + " outside the vocabulary of " + nVocab);
                    LlamaBatch.add(batch, ids[k], k, seq, output);
                }
            }
            decodeOrThrow(batch, "the prompt");
            i = j;
        }
        return true;
    }

    private void decodeOrThrow(MemorySegment batch, String what) {
        int rc = Llama.decode(ctx, batch);
        if (rc != 0) {
            throw new LlamaException("llama_decode failed (" + rc + ") on " + what + (rc == 1 ? ": no free KV cells" : rc == 2 ? ": aborted" : ""));
        }
    }

    // ---------------------------------------------------------------- beam search

    /** A finished hypothesis: generated tokens (stop token included) and its length-normalized log-probability. */
    private record Hypothesis(int[] tokens, double score) {}

    /** A beam candidate: parent beam, token, and the parent's log-probability sum plus the token's. */
    private record Candidate(int parent, int token, double logProb) {}

    /**
     * Beam search as transformers' (length penalty 1, early_stopping False): each step every beam
     * proposes its 2·width best tokens; the best width non-stop candidates become the beams; a stop
     * candidate ranked within the first width ends a hypothesis (score = log-probability sum /
     * generated length). The search ends when width hypotheses exist and none of the running beams
     * scores better, or at the token budget. Beams live in the job's sequence ids; a beam's cache is
     * its parent's, shared cell by cell through llama_memory_seq_cp.
     */
    private final class Beams {
        final Job job;
        final int width;
        final int promptLength;
        int running = 1;
        int[][] tokens;
        double[] logProb;
        int[] seq;
        int generatedLength;
        final List<Hypothesis> finished = new ArrayList<>();
        final float[] logSoftmax;

        Beams(Job job) {
            this.job = job;
            this.width = job.options.beams();
            this.promptLength = job.prompt.ids().length;
            this.tokens = new int[][] {new int[0]};
            this.logProb = new double[] {0};
            this.seq = new int[] {job.seqs[0]};
            this.logSoftmax = new float[nVocab];
        }

        void addRows(MemorySegment batch) {
            for (int b = 0; b < running; b++) {
                int[] t = tokens[b];
                LlamaBatch.add(batch, t[t.length - 1], promptLength + t.length - 1, seq[b], true);
            }
        }

        void step(MemorySegment[] logitRows) {
            List<Candidate> candidates = new ArrayList<>();
            int[] penaltyHistory = new int[promptLength + generatedLength];
            System.arraycopy(job.prompt.ids(), 0, penaltyHistory, 0, promptLength);
            for (int b = 0; b < running; b++) {
                MemorySegment logits = logitRows[b];
                if (generatedLength < job.options.minNewTokens()) maskStopTokens(logits);
                float penalty = job.options.sampling().repetitionPenalty();
                if (penalty != 1f) {
                    System.arraycopy(tokens[b], 0, penaltyHistory, promptLength, generatedLength);
                    repetitionPenalty.apply(logits, nVocab, penaltyHistory, penaltyHistory.length, penalty);
                }
                logSoftmax(logits);
                for (int t : topTokens(logSoftmax, 2 * width)) candidates.add(new Candidate(b, t, logProb[b] + logSoftmax[t]));
            }
            candidates.sort(Comparator.comparingDouble(Candidate::logProb).reversed());
            generatedLength++;
            job.markToken();
            job.generated = generatedLength;
            job.listener.step("generate", generatedLength, job.options.maxNewTokens(), seconds(job.stepStarted));

            List<Candidate> next = new ArrayList<>(width);
            for (int rank = 0; rank < candidates.size() && next.size() < width; rank++) {
                Candidate c = candidates.get(rank);
                if (isStopToken[c.token()]) {
                    if (rank < width) addHypothesis(append(tokens[c.parent()], c.token()), c.logProb());
                } else {
                    next.add(c);
                }
            }
            boolean budgetSpent = generatedLength == job.options.maxNewTokens();
            boolean noBetterRunning = finished.size() >= width && !next.isEmpty()
                    && worstFinished() >= next.get(0).logProb() / generatedLength;
            if (budgetSpent || next.isEmpty() || noBetterRunning) {
                if (budgetSpent) for (Candidate c : next) addHypothesis(append(tokens[c.parent()], c.token()), c.logProb());
                finish();
                return;
            }
            reassignSequences(next);
        }

        /** The new beams take sequences: a parent's first child keeps its sequence, the others get copies in freed ones. */
        void reassignSequences(List<Candidate> next) {
            int[] oldSeq = seq;
            boolean[] parentSeqTaken = new boolean[running];
            int[] newSeq = new int[next.size()];
            Arrays.fill(newSeq, -1);
            for (int j = 0; j < next.size(); j++) {
                int parent = next.get(j).parent();
                if (!parentSeqTaken[parent]) {
                    parentSeqTaken[parent] = true;
                    newSeq[j] = oldSeq[parent];
                }
            }
            Deque<Integer> spare = new ArrayDeque<>();
            for (int s : job.seqs) {
                boolean kept = false;
                for (int j = 0; j < next.size(); j++) kept |= newSeq[j] == s;
                if (!kept) {
                    Llama.memorySeqRm(memory, s, -1, -1); // dropped beams and unused ids: emptied before they receive copies
                    spare.add(s);
                }
            }
            for (int j = 0; j < next.size(); j++) {
                if (newSeq[j] >= 0) continue;
                newSeq[j] = spare.poll();
                Llama.memorySeqCp(memory, oldSeq[next.get(j).parent()], newSeq[j], -1, -1);
            }
            int[][] newTokens = new int[next.size()][];
            double[] newLogProb = new double[next.size()];
            for (int j = 0; j < next.size(); j++) {
                Candidate c = next.get(j);
                newTokens[j] = append(tokens[c.parent()], c.token());
                newLogProb[j] = c.logProb();
            }
            tokens = newTokens;
            logProb = newLogProb;
            seq = newSeq;
            running = next.size();
        }

        void addHypothesis(int[] hypothesisTokens, double logProbSum) {
            finished.add(new Hypothesis(hypothesisTokens, logProbSum / hypothesisTokens.length));
            finished.sort(Comparator.comparingDouble(Hypothesis::score).reversed());
            if (finished.size() > width) finished.removeLast(); // only the best width hypotheses are kept
        }

        double worstFinished() {
            return finished.getLast().score();
        }

        void finishWithBestRunning() {
            for (int b = 0; b < running; b++) {
                if (tokens[b].length > 0) addHypothesis(tokens[b], logProb[b]);
            }
            finish();
            job.stop = StopReason.CANCELLED;
        }

        /** Streams the best hypothesis and ends the job. */
        void finish() {
            Hypothesis best = finished.isEmpty() ? new Hypothesis(new int[0], 0) : finished.getFirst();
            for (int token : best.tokens()) job.history[job.length++] = token;
            job.generated = best.tokens().length;
            boolean stopped = best.tokens().length > 0 && isStopToken[best.tokens()[best.tokens().length - 1]];
            for (int k = 0; k < best.tokens().length - (stopped ? 1 : 0); k++) job.emit(best.tokens()[k]);
            job.stop = stopped ? StopReason.END_OF_UTTERANCE : StopReason.MAX_TOKENS;
            running = 0;
        }

        private void logSoftmax(MemorySegment logits) {
            float max = Float.NEGATIVE_INFINITY;
            for (int t = 0; t < nVocab; t++) max = Math.max(max, logits.getAtIndex(ValueLayout.JAVA_FLOAT, t));
            double sum = 0;
            for (int t = 0; t < nVocab; t++) sum += Math.exp(logits.getAtIndex(ValueLayout.JAVA_FLOAT, t) - max);
            float logSum = (float) (max + Math.log(sum));
            for (int t = 0; t < nVocab; t++) logSoftmax[t] = logits.getAtIndex(ValueLayout.JAVA_FLOAT, t) - logSum;
        }
    }

    /** Indices of the k largest values (ties to the lower index), best first; -inf entries never. */
    static int[] topTokens(float[] values, int k) {
        int[] best = new int[k];
        int n = 0;
        for (int t = 0; t < values.length; t++) {
            float v = values[t];
            if (v == Float.NEGATIVE_INFINITY || (n == k && v <= values[best[n - 1]])) continue;
            int at = n < k ? n++ : k - 1;
            while (at > 0 && values[best[at - 1]] < v) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = t;
        }
        return Arrays.copyOf(best, n);
    }

    private static int[] append(int[] tokens, int token) {
        int[] out = Arrays.copyOf(tokens, tokens.length + 1);
        out[tokens.length] = token;
        return out;
    }

    // ---------------------------------------------------------------- text

    /**
     * Incremental UTF-8 decoding of token bytes: a character whose bytes span several tokens is
     * held back until complete; malformed bytes become U+FFFD. The pieces concatenate to what
     * decoding all bytes at once gives.
     */
    static final class Utf8Stream {
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
        private ByteBuffer pending = ByteBuffer.allocate(16);

        String push(byte[] bytes) {
            if (pending.remaining() < bytes.length) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(2 * pending.capacity(), pending.position() + bytes.length));
                pending.flip();
                bigger.put(pending);
                pending = bigger;
            }
            pending.put(bytes);
            return drain(false);
        }

        /** Whatever is still held back (an incomplete character at the end becomes U+FFFD). */
        String finish() {
            String tail = drain(true);
            CharBuffer out = CharBuffer.allocate(4);
            decoder.flush(out);
            decoder.reset();
            return tail + out.flip();
        }

        private String drain(boolean endOfInput) {
            pending.flip();
            CharBuffer out = CharBuffer.allocate(pending.remaining() + 1);
            decoder.decode(pending, out, endOfInput);
            pending.compact();
            return out.flip().toString();
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        Llama.batchFree(tokenBatch);
        Llama.batchFree(embdBatch);
        Llama.batchFree(stepBatch);
        Llama.free(ctx);
        vision.close();
        arena.close();
    }
}
