package mmgp.bench.e2e;

import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import mmgp.api.UnderstandOptions;
import mmgp.bindings.llama.LlamaLog;
import mmgp.bindings.mtmd.Mtmd;
import mmgp.models.smolvlm.SmolVlmMedia;
import mmgp.models.smolvlm.SmolVlmUnderstanding;

/**
 * SmolVLM2 describing one image, greedy, a fixed number of generated tokens (random weights would
 * otherwise stop at an arbitrary point). The same image and prompt go to llama-mtmd-cli.
 */
final class SmolVlmWorkload extends WorkloadBase {
    static final String PROMPT = "Can you describe this image?";
    static final String TILE = "vision encode / tile", PREFILL = "prefill", DECODE = "decode tok/s";
    /** What llama-mtmd-cli uses for this model (its training context); one sequence, as the CLI runs one. */
    static final int CONTEXT_TOKENS = 8192;

    private final SmolVlmUnderstanding engine;
    private final WorkloadSettings settings;
    private final UnderstandOptions options;
    private final SmolVlmFlops flops;

    SmolVlmWorkload(WorkloadSettings s) throws Exception {
        super(List.of(TILE, PREFILL, DECODE));
        settings = s;
        LlamaLog.silence();
        Mtmd.helperLogSet(LlamaLog.callback(), MemorySegment.NULL);
        engine = SmolVlmUnderstanding.open(s.file(), null,
                SmolVlmUnderstanding.Settings.defaults().withContextTokens(CONTEXT_TOKENS).withMaxSequences(1).withThreads(s.threads()));
        options = UnderstandOptions.defaults().toBuilder().maxNewTokens(s.smolTokens()).minNewTokens(s.smolTokens()).build(); // greedy
        flops = SmolVlmFlops.of(s.file());
    }

    @Override
    public String sizeLabel() {
        return "512² image, " + Plural.of(settings.smolTokens(), "token") + ", greedy";
    }

    @Override
    public Map<String, Double> runOnce() throws Exception {
        SmolVlmUnderstanding.Result r = engine.understand(SmolVlmMedia.image(settings.image()), PROMPT, options,
                SmolVlmUnderstanding.TokenListener.NONE);
        SmolVlmUnderstanding.Stats s = r.stats();
        Map<String, Double> t = s.timings().seconds();
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(TILE, t.get("encode") / Math.max(1, s.imagesEncoded()));
        m.put(PREFILL, t.get("prefill"));
        m.put("time to first token", s.timeToFirstTokenSeconds());
        m.put(DECODE, s.tokensPerSecond());
        m.put("total", s.timings().total());
        if (flops != null) {
            Map<String, StageWork> w = new LinkedHashMap<>();
            w.put(TILE, StageWork.estimate(flops.visionGflopPerTile(), SmolVlmFlops.SOURCE));
            w.put(PREFILL, StageWork.estimate(flops.prefillGflop(s.promptTokens()), SmolVlmFlops.SOURCE));
            w.put(DECODE, StageWork.estimate(flops.decodeGflopPerToken(s.promptTokens() + s.generatedTokens() / 2.0), SmolVlmFlops.SOURCE));
            keepWork(w);
        }
        return m;
    }

    @Override
    protected String weightType(String stage) {
        if (flops == null) return null;
        return stage.equals(TILE) ? flops.visionType() : flops.textType();
    }

    @Override
    public void close() {
        engine.close();
    }
}
