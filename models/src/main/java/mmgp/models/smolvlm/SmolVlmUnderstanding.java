package mmgp.models.smolvlm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import mmgp.api.ProgressListener;
import mmgp.api.UnderstandOptions;
import mmgp.api.StageTimings;
import mmgp.sampling.Rng;
import mmgp.sampling.SamplingParameters;
import mmgp.sampling.SplitMix64Rng;
import mmgp.sampling.TokenSampler;

/**
 * SmolVLM2 image and video understanding: a prompt about an image or a video in, the model's
 * answer out, streamed as text pieces. This class ties the parts together, as llama.cpp's tools tie
 * its library and helpers:
 * <ol>
 *   <li>{@link SmolVlmPromptBuilder}: the conversation {@code User: <media><prompt>} through the
 *       processor (chat template, image tiles or sampled video frames), tokenization, and the vision
 *       encoder over every tile or frame, as a {@link SmolVlmPrompt};</li>
 *   <li>{@link SmolVlmLlamaSession}: the llama context, whose sequences receive the prompt (token
 *       batches and embedding batches) and each decode step;</li>
 *   <li>{@link SmolVlmGenerationJob}: a request in flight, picking tokens from the logits read in
 *       place with {@link TokenSampler} (greedy, temperature, top-k, top-p, min-p, repetition penalty)
 *       or a {@link mmgp.sampling.BeamSearch} over sequence ids, until {@code <end_of_utterance>} or
 *       another end-of-generation token, or the token budget, and streaming whole UTF-8 characters
 *       ({@link mmgp.tokenizer.Utf8Stream}).</li>
 * </ol>
 *
 * <p>{@link #understandAll} runs several requests together on one llama context: each holds its
 * own sequence ids (one per beam), every decode step puts the next token of all active sequences
 * into one llama_batch, and a finished request frees its sequences so a waiting one can start
 * (continuous batching). The KV cache is unified: a request is admitted when its prompt plus
 * beams × max new tokens fits beside the ones running.
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

    /**
     * The token selection of {@code o}: temperature, top-k, top-p, min-p and repetition penalty
     * (greedy at temperature 0, where only the penalty still applies).
     */
    public static SamplingParameters sampling(UnderstandOptions o) {
        return new SamplingParameters(o.temperature(), o.topK(), o.topP(), o.minP(), o.repetitionPenalty());
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
    public record Request(SmolVlmMedia media, String prompt, UnderstandOptions options, TokenListener listener) {
        public Request {
            Objects.requireNonNull(media, "media");
            Objects.requireNonNull(prompt, "prompt");
            Objects.requireNonNull(options, "options");
            if (listener == null) listener = TokenListener.NONE;
        }

        public Request(SmolVlmMedia media, String prompt, UnderstandOptions options) {
            this(media, prompt, options, TokenListener.NONE);
        }
    }

    // ---------------------------------------------------------------- construction

    private final SmolVlmModel vision;
    private final SmolVlmProcessor processor;
    private final Settings settings;
    private final SmolVlmLlamaSession session;
    private final SmolVlmPromptBuilder prompts;
    private final TokenSampler sampler;
    private boolean closed;

    private SmolVlmUnderstanding(Path textModel, Path mmproj, SmolVlmProcessor processor, boolean llamaTokenizesPrompts, Settings s)
            throws IOException {
        this.processor = Objects.requireNonNull(processor, "processor");
        this.settings = Objects.requireNonNull(s, "settings");
        // SmolVlmModel holds the weights, the mtmd context and the pixel encoder, and no llama context
        // of its own (nCtx 0): requests run on the unified multi-sequence context of the session.
        this.vision = SmolVlmModel.load(textModel, mmproj, new SmolVlmModel.Options(0, 0, 1, s.threads(), !s.exactNumerics()));
        SmolVlmLlamaSession created = null;
        try {
            created = new SmolVlmLlamaSession(vision, s, processor.tokenizer());
            int imageTokenId = created.imageTokenId();
            if (imageTokenId < 0) throw new IllegalArgumentException(textModel + " has no <image> token: not a SmolVLM text model");
            if (processor.imageTokenId() != imageTokenId) {
                throw new IllegalArgumentException("the processor's <image> id " + processor.imageTokenId() + " differs from the model's "
                        + imageTokenId + ": the tokenizer does not belong to " + textModel);
            }
            this.session = created;
            this.prompts = new SmolVlmPromptBuilder(processor, vision, llamaTokenizesPrompts ? created : null);
            this.sampler = new TokenSampler(created.vocabSize());
            warmUp();
        } catch (RuntimeException e) {
            if (created != null) created.close();
            vision.close();
            throw e;
        }
    }

    /**
     * One throwaway decode (as llama.cpp's tools do at load: graph allocation, first touch of the
     * weights) and a few hundred samples (the Vector API kernels run interpreted until the JIT
     * compiles them, milliseconds per token), so the first request measures the steady state.
     */
    private void warmUp() {
        session.beginStep();
        session.addStepToken(0, 0, 0);
        session.decodeStep("the warm-up token");
        MemorySegment logits = session.lastLogits();
        int nVocab = session.vocabSize();
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
        session.clearMemory();
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
        SmolVlmModelFiles files = SmolVlmModelFiles.locate(model, mmproj);
        if (files.processorFolder() != null) {
            return new SmolVlmUnderstanding(files.textModel(), files.mmproj(), SmolVlmProcessor.load(files.processorFolder()), false, settings);
        }
        return new SmolVlmUnderstanding(files.textModel(), files.mmproj(), SmolVlmGgufProcessor.load(files.textModel(), files.mmproj()), true, settings);
    }

    /** Opens the two GGUFs with a given processor, whose own tokenizer produces the prompt ids. */
    public static SmolVlmUnderstanding open(Path textModel, Path mmproj, SmolVlmProcessor processor, Settings settings) throws IOException {
        SmolVlmModelFiles.requireFile(textModel, "text model GGUF");
        SmolVlmModelFiles.requireFile(mmproj, "mmproj GGUF");
        return new SmolVlmUnderstanding(textModel, mmproj, processor, false, settings);
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
        return session.contextTokens();
    }

    // ---------------------------------------------------------------- entry points

    /** Answers {@code prompt} about {@code media}, streaming the answer to {@code listener}. */
    public Result understand(SmolVlmMedia media, String prompt, UnderstandOptions options, TokenListener listener) throws IOException {
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
            r.media().requireExists();
        }
        long started = System.nanoTime();
        List<SmolVlmGenerationJob> jobs = new ArrayList<>();
        for (Request request : requests) jobs.add(new SmolVlmGenerationJob(request, started, session, prompts, sampler));
        Deque<SmolVlmGenerationJob> waiting = new ArrayDeque<>(jobs);
        List<SmolVlmGenerationJob> active = new ArrayList<>();
        int nCtx = session.contextTokens();
        int reservedCells = 0;
        try {
            session.reset();
            while (!waiting.isEmpty() || !active.isEmpty()) {
                // Admit waiting requests while sequence ids and KV cells allow.
                while (!waiting.isEmpty()) {
                    SmolVlmGenerationJob job = waiting.peek();
                    if (session.freeSequenceCount() < job.options.beams()) break;
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
                    job.admit(session.takeSequences(job.options.beams()), cells);
                    reservedCells += cells;
                    job.prefill();
                    if (job.stop == null) {
                        active.add(job);
                    } else {
                        reservedCells -= job.release();
                    }
                }
                if (active.isEmpty()) continue;
                // One decode step for every active sequence.
                session.beginStep();
                for (SmolVlmGenerationJob job : active) {
                    if (job.listener.cancelled()) {
                        job.cancel();
                        continue;
                    }
                    job.addStepRows();
                }
                if (session.stepRows() > 0) {
                    session.decodeStep("a generation step");
                    for (SmolVlmGenerationJob job : active) if (job.stop == null) job.step();
                }
                for (var it = active.iterator(); it.hasNext(); ) {
                    SmolVlmGenerationJob job = it.next();
                    if (job.stop != null) {
                        reservedCells -= job.release();
                        it.remove();
                    }
                }
            }
        } catch (RuntimeException | IOException e) {
            session.clearMemory();
            throw e;
        }
        List<Result> results = new ArrayList<>(jobs.size());
        for (SmolVlmGenerationJob job : jobs) results.add(job.result());
        return results;
    }

    /**
     * Builds and encodes a request's model input: chat template, image splitting or video
     * sampling, tokenization, and the vision encoder over every tile/frame. Returns null when
     * {@code progress} cancels during encoding.
     */
    public synchronized SmolVlmPrompt prepare(SmolVlmMedia media, String prompt, UnderstandOptions options, ProgressListener progress) throws IOException {
        if (closed) throw new IllegalStateException("SmolVLM2 model is closed");
        media.requireExists();
        return prompts.build(media, prompt, options.maxFrames(), progress == null ? ProgressListener.NONE : progress);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        session.close();
        vision.close();
    }
}
