package mmgp.models.smolvlm;

import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import mmgp.api.Task;
import mmgp.api.UnderstandOptions;
import mmgp.bindings.llama.LlamaLog;
import mmgp.bindings.mtmd.Mtmd;
import mmgp.cli.ProgressBar;
import mmgp.models.GenerationCommand;
import mmgp.models.smolvlm.SmolVlmUnderstanding.Result;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mmgp understand --video clip.mp4 | --image pic.png --prompt "..."}: SmolVLM2 answers about an image or a video. */
@Command(name = "understand", mixinStandardHelpOptions = true,
        description = "Describe or answer questions about an image or a video with SmolVLM2 (llama.cpp), streaming the answer.")
public final class UnderstandCommand extends GenerationCommand<SmolVlmUnderstanding> {
    static final class MediaChoice {
        @Option(names = "--video", description = "A video file (MP4, WebM, MOV...): frames sampled at 1 fps, at most 64.")
        Path video;

        @Option(names = "--image", description = "An image file (PNG, JPEG...).")
        Path image;
    }

    /** The API's defaults are the command's: one place for them. */
    private static final UnderstandOptions DEFAULTS = UnderstandOptions.defaults();

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    MediaChoice media;

    @Option(names = {"-p", "--prompt"}, description = "The question (default: asks for a description of the image or video).")
    String prompt;

    @Option(names = "--max-tokens", description = "Most tokens to generate (default ${DEFAULT-VALUE}).")
    int maxTokens = DEFAULTS.maxNewTokens();

    @Option(names = "--min-tokens", description = "Tokens to generate before the answer may end (default ${DEFAULT-VALUE}).")
    int minTokens = DEFAULTS.minNewTokens();

    @Option(names = "--seed", description = "Random seed for sampling (default ${DEFAULT-VALUE}).")
    long seed = DEFAULTS.seed();

    @Option(names = "--temperature", description = "0 = greedy (default); above 0 samples.")
    float temperature = DEFAULTS.temperature();

    @Option(names = "--top-k", description = "Sample among the k most likely tokens; 0 = off.")
    int topK = DEFAULTS.topK();

    @Option(names = "--top-p", description = "Nucleus sampling mass; 1 = off.")
    float topP = DEFAULTS.topP();

    @Option(names = "--min-p", description = "Drop tokens below min-p × the top probability; 0 = off.")
    float minP = DEFAULTS.minP();

    @Option(names = "--repetition-penalty", description = "Penalty for tokens already seen; 1 = off.")
    float repetitionPenalty = DEFAULTS.repetitionPenalty();

    @Option(names = "--beams", description = "Beam search width; above 1 the answer is printed when the search ends.")
    int beams = DEFAULTS.beams();

    @Option(names = "--max-frames", description = "Frame cap for videos (0 = the model's, 64).")
    int maxFrames = DEFAULTS.maxFrames();

    @Option(names = "--model", description = "Directory with the SmolVLM2 text GGUF and mmproj-*.gguf (mmgp convert --model smolvlm), "
            + "or the text GGUF (default: $MMGP_SMOLVLM_MODEL when set, else the installed understanding model, e.g. from mmgp pull smolvlm2-256m).",
            defaultValue = "${env:MMGP_SMOLVLM_MODEL}")
    Path model;

    @Option(names = "--mmproj", description = "The vision projector GGUF (default: the mmproj-*.gguf beside the model).")
    Path mmproj;

    @Option(names = "--ctx", defaultValue = "8192", description = "Context size in tokens (default ${DEFAULT-VALUE}; a 64-frame video takes ~4.6k).")
    int contextTokens;

    @Option(names = "--exact", description = "F32 KV cache and no flash attention (slower, matches a plain F32 forward).")
    boolean exact;

    @Option(names = {"-q", "--quiet"}, description = "Only the answer: no progress, no statistics.")
    boolean quiet;

    /** Checked before the model is looked for. */
    private SmolVlmMedia what;
    private String question;
    private UnderstandOptions options;
    private SmolVlmUnderstanding.Settings settings;

    public UnderstandCommand() {
        super(Task.UNDERSTAND);
    }

    @Override
    protected Map<String, String> optionNames() {
        return Map.ofEntries(Map.entry("max_new_tokens", "--max-tokens"), Map.entry("min_new_tokens", "--min-tokens"), Map.entry("seed", "--seed"),
                Map.entry("temperature", "--temperature"), Map.entry("top_k", "--top-k"), Map.entry("top_p", "--top-p"), Map.entry("min_p", "--min-p"),
                Map.entry("repetition_penalty", "--repetition-penalty"), Map.entry("beams", "--beams"), Map.entry("max_frames", "--max-frames"));
    }

    @Override
    protected Path explicitModel() {
        return model;
    }

    @Override
    protected boolean quiet() {
        return quiet;
    }

    @Override
    protected void checkArguments() throws Exception {
        what = media == null ? SmolVlmMedia.none() : media.video != null ? SmolVlmMedia.video(media.video) : SmolVlmMedia.image(media.image);
        what.requireExists();
        question = prompt != null ? prompt
                : media == null ? null
                : media.video != null ? "Describe this video in detail." : "Can you describe this image?";
        if (question == null) throw new IllegalArgumentException("give --image, --video or --prompt");
        options = UnderstandOptions.defaults().toBuilder().maxNewTokens(maxTokens).minNewTokens(minTokens).temperature(temperature).topK(topK)
                .topP(topP).minP(minP).repetitionPenalty(repetitionPenalty).seed(seed).beams(beams).maxFrames(maxFrames).build();
        // the answer's bound is the context (HTTP has its own cap; here --ctx is the user's to raise): every beam's tokens beside the prompt
        if (contextTokens < 1) throw new IllegalArgumentException("--ctx must be at least 1, got " + contextTokens);
        if ((long) options.beams() * options.maxNewTokens() >= contextTokens) {
            throw new IllegalArgumentException("--max-tokens " + options.maxNewTokens() + (options.beams() > 1 ? " × --beams " + options.beams() : "")
                    + " leaves no room for the prompt in --ctx " + contextTokens + " tokens; raise --ctx or lower --max-tokens");
        }
        settings = new SmolVlmUnderstanding.Settings(contextTokens, 512, options.beams(), threads.resolved(), exact);
    }

    @Override
    protected SmolVlmUnderstanding load(Path model, ProgressBar bar) throws Exception {
        LlamaLog.silence();
        Mtmd.helperLogSet(LlamaLog.callback(), MemorySegment.NULL);
        return open(model, settings, bar);
    }

    @Override
    protected void run(SmolVlmUnderstanding engine, ProgressBar bar, double load) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        SmolVlmUnderstanding.TokenListener listener = new SmolVlmUnderstanding.TokenListener() {
            @Override
            public void token(String piece) {
                out.print(piece);
                out.flush();
            }

            @Override
            public void step(String stage, int done, int total, double seconds) {
                if (!stage.equals("generate")) bar.step(stage, done, total, seconds); // the answer streams on stdout meanwhile
            }

            @Override
            public void stage(String stage, double seconds) {
                if (!stage.equals("generate")) bar.stage(stage, seconds);
            }
        };
        Result result = engine.understand(what, question, options, listener);
        out.println();
        if (!quiet) printStats(out, result, load);
    }

    static void printStats(PrintStream out, Result result, double loadSeconds) {
        SmolVlmUnderstanding.Stats s = result.stats();
        out.printf(Locale.ROOT, "%n%s after %d tokens%n", switch (result.stopReason()) {
            case END_OF_UTTERANCE -> "ended";
            case MAX_TOKENS -> "token limit reached";
            case CANCELLED -> "cancelled";
        }, s.generatedTokens());
        out.printf(Locale.ROOT, "time to first token %.3f s | generation %.2f tokens/s | prompt %d tokens (%d image) at %.1f tokens/s%n",
                s.timeToFirstTokenSeconds(), s.tokensPerSecond(), s.promptTokens(), s.imageTokens(), s.promptTokensPerSecond());
        out.printf(Locale.ROOT, "frames used %d | images encoded %d | timings: load %.3f s, %s%n",
                s.framesUsed(), s.imagesEncoded(), loadSeconds, s.timings());
    }

    /**
     * The model as given: GGUFs directly, or a Hugging Face folder converted once (F16) into the
     * registry's conversion cache, as {@code serve} and {@code demo} accept it too.
     */
    private SmolVlmUnderstanding open(Path model, SmolVlmUnderstanding.Settings settings, ProgressBar bar) throws java.io.IOException {
        if (!mmgp.models.engine.SmolVlmProvider.isHuggingFaceFolder(model)) return SmolVlmUnderstanding.open(model, mmproj, settings);
        if (mmproj != null) throw new IllegalArgumentException("--mmproj goes with a GGUF model; " + model + " is a Hugging Face folder, converted with its own projector");
        Path root = registry.open().root();
        SmolVlmConverter.Output files = SmolVlmConversionCache.converted(model, root, mmgp.tensor.GgmlType.F16,
                () -> bar.note("converting the Hugging Face folder " + model + " to GGUF (F16) once, into " + root.resolve(SmolVlmConversionCache.FOLDER)));
        return SmolVlmUnderstanding.open(files.textModel(), files.mmproj(), SmolVlmProcessor.load(model), settings);
    }
}
