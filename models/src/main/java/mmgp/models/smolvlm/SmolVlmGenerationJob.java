package mmgp.models.smolvlm;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import mmgp.api.StageTimings;
import mmgp.api.UnderstandOptions;
import mmgp.models.smolvlm.SmolVlmUnderstanding.Request;
import mmgp.models.smolvlm.SmolVlmUnderstanding.Result;
import mmgp.models.smolvlm.SmolVlmUnderstanding.Stats;
import mmgp.models.smolvlm.SmolVlmUnderstanding.StopReason;
import mmgp.models.smolvlm.SmolVlmUnderstanding.TokenListener;
import mmgp.sampling.BeamSearch;
import mmgp.sampling.Rng;
import mmgp.sampling.SamplingParameters;
import mmgp.sampling.SplitMix64Rng;
import mmgp.sampling.TokenSampler;
import mmgp.tokenizer.Utf8Stream;

/**
 * One request in flight in {@link SmolVlmUnderstanding#understandAll}'s continuous batching: its
 * sequence ids, its sampling or beam-search state, its streamed text and its measurements. The scheduler
 * admits it ({@link #prepare}, {@link #prefill}), puts its rows into each step batch ({@link #addStepRows})
 * and hands it the logits ({@link #step}) until it stops; then {@link #release} returns its sequences.
 *
 * <p>Sampling picks one token per step from the request's own random stream. A beam search
 * ({@link BeamSearch}) ranks every beam's tokens; here its beams are mapped onto sequence ids: a parent's
 * first child keeps the parent's sequence, the others get copies of it in freed ids.
 */
final class SmolVlmGenerationJob {

    private final SmolVlmLlamaSession session;
    private final SmolVlmPromptBuilder prompts;
    private final TokenSampler sampler;
    private final Request request;
    final UnderstandOptions options;
    private final SamplingParameters sampling;
    final TokenListener listener;
    private final long submitted;
    private final Rng rng;
    private final Utf8Stream utf8 = new Utf8Stream();
    private final StringBuilder text = new StringBuilder();
    SmolVlmPrompt prompt;
    /** The sequence ids granted to this job (as many as beams); null once released. */
    private int[] seqs;
    /** The sequence of each running beam, in beam order. */
    private int[] beamSeqs;
    /** KV cells reserved: prompt + beams × max new tokens. */
    int cells;
    /** Prompt ids then generated tokens: the repetition-penalty history and the positions. */
    private int[] history;
    private int length;
    private int generated;
    private long firstToken = -1, lastToken;
    private double prefillSeconds;
    StopReason stop;
    private BeamSearch beams;
    /** First row of this job in the step batch. */
    private int stepRow;
    private long stepStarted;

    SmolVlmGenerationJob(Request request, long submitted, SmolVlmLlamaSession session, SmolVlmPromptBuilder prompts, TokenSampler sampler) {
        this.session = session;
        this.prompts = prompts;
        this.sampler = sampler;
        this.request = request;
        this.options = request.options();
        this.sampling = SmolVlmUnderstanding.sampling(options);
        this.listener = request.listener();
        this.submitted = submitted;
        this.rng = new SplitMix64Rng(options.seed());
    }

    /** Processor + vision encoder; false when cancelled meanwhile. */
    boolean prepare() throws IOException {
        prompt = prompts.build(request.media(), request.prompt(), options.maxFrames(), listener);
        if (prompt == null) {
            stop = StopReason.CANCELLED;
            return false;
        }
        history = Arrays.copyOf(prompt.ids(), prompt.ids().length + options.maxNewTokens());
        length = prompt.ids().length;
        return true;
    }

    /** Takes the sequence ids and KV cells the scheduler granted. */
    void admit(int[] sequenceIds, int reservedCells) {
        this.seqs = sequenceIds;
        this.cells = reservedCells;
    }

    /** Decodes the prompt into the first sequence and picks the first token from its last logits. */
    void prefill() {
        long t0 = System.nanoTime();
        if (!session.decodePrompt(prompt.ids(), prompt.imageFeatures(), seqs[0], listener::cancelled)) {
            stop = StopReason.CANCELLED;
            return;
        }
        prefillSeconds = seconds(t0);
        prompt.timings().add("prefill", prefillSeconds);
        listener.stage("prefill", prefillSeconds);
        stepStarted = System.nanoTime();
        MemorySegment logits = session.lastLogits();
        if (options.beams() > 1) {
            beamSeqs = new int[] {seqs[0]};
            beams = new BeamSearch(options.beams(), session.vocabSize(), prompt.ids(), session.stopTokens(),
                    options.maxNewTokens(), options.minNewTokens(), options.repetitionPenalty());
            beamStep(b -> logits);
        } else {
            accept(pick(logits));
        }
    }

    void addStepRows() {
        stepStarted = System.nanoTime();
        if (beams != null) {
            int position = prompt.ids().length + beams.generated() - 1;
            stepRow = session.addStepToken(beams.lastToken(0), position, beamSeqs[0]);
            for (int b = 1; b < beams.running(); b++) session.addStepToken(beams.lastToken(b), position, beamSeqs[b]);
        } else {
            stepRow = session.addStepToken(history[length - 1], length - 1, seqs[0]);
        }
    }

    void step() {
        if (beams != null) {
            beamStep(b -> session.stepLogits(stepRow + b));
        } else {
            accept(pick(session.stepLogits(stepRow)));
        }
    }

    /** The next token from logits read in place (they are filtered in place too). */
    private int pick(MemorySegment logits) {
        if (generated < options.minNewTokens()) session.stopTokens().mask(logits);
        return sampler.sample(logits, session.vocabSize(), sampling, history, length, rng);
    }

    private void accept(int token) {
        markToken();
        history[length++] = token;
        generated++;
        listener.step("generate", generated, options.maxNewTokens(), seconds(stepStarted));
        if (session.stopTokens().isStop(token)) {
            stop = StopReason.END_OF_UTTERANCE;
        } else {
            emit(token);
            if (generated == options.maxNewTokens()) stop = StopReason.MAX_TOKENS;
        }
    }

    private void beamStep(BeamSearch.NextTokenLogits logits) {
        boolean running = beams.step(logits);
        markToken();
        generated = beams.generated();
        listener.step("generate", generated, options.maxNewTokens(), seconds(stepStarted));
        if (running) {
            reassignSequences();
        } else {
            finishBeams();
        }
    }

    /** The new beams take sequences: a parent's first child keeps its sequence, the others get copies in freed ones. */
    private void reassignSequences() {
        int[] oldSeq = beamSeqs;
        int running = beams.running();
        boolean[] parentSeqTaken = new boolean[oldSeq.length];
        int[] newSeq = new int[running];
        Arrays.fill(newSeq, -1);
        for (int j = 0; j < running; j++) {
            int parent = beams.parent(j);
            if (!parentSeqTaken[parent]) {
                parentSeqTaken[parent] = true;
                newSeq[j] = oldSeq[parent];
            }
        }
        Deque<Integer> spare = new ArrayDeque<>();
        for (int s : seqs) {
            boolean kept = false;
            for (int j = 0; j < running; j++) kept |= newSeq[j] == s;
            if (!kept) {
                session.clearSequence(s); // dropped beams and unused ids: emptied before they receive copies
                spare.add(s);
            }
        }
        for (int j = 0; j < running; j++) {
            if (newSeq[j] >= 0) continue;
            newSeq[j] = spare.poll();
            session.copySequence(oldSeq[beams.parent(j)], newSeq[j]);
        }
        beamSeqs = newSeq;
    }

    /** Streams the best hypothesis and ends the job. */
    private void finishBeams() {
        int[] best = beams.best();
        for (int token : best) history[length++] = token;
        generated = best.length;
        boolean stopped = best.length > 0 && session.stopTokens().isStop(best[best.length - 1]);
        for (int k = 0; k < best.length - (stopped ? 1 : 0); k++) emit(best[k]);
        stop = stopped ? StopReason.END_OF_UTTERANCE : StopReason.MAX_TOKENS;
    }

    private void markToken() {
        long now = System.nanoTime();
        if (firstToken < 0) firstToken = now;
        lastToken = now;
    }

    private void emit(int token) {
        String piece = utf8.push(session.piece(token));
        if (!piece.isEmpty()) {
            text.append(piece);
            listener.token(piece);
        }
    }

    void cancel() {
        stop = StopReason.CANCELLED;
        if (beams != null) {
            beams.stop();
            finishBeams();
            stop = StopReason.CANCELLED;
        }
    }

    /** Frees this job's sequences; returns the KV cells it had reserved. */
    int release() {
        if (seqs != null) {
            session.releaseSequences(seqs);
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
        int imageTokens = prompt == null || prompt.imageFeatures() == null ? 0 : prompt.imageFeatures().length / session.embeddingSize();
        double ttft = firstToken < 0 ? Double.NaN : (firstToken - submitted) / 1e9;
        double promptRate = prefillSeconds > 0 ? promptTokens / prefillSeconds : Double.NaN;
        double rate = generated > 1 && lastToken > firstToken ? (generated - 1) / ((lastToken - firstToken) / 1e9) : Double.NaN;
        Stats stats = new Stats(promptTokens, imageTokens, prompt == null ? 0 : prompt.imagesEncoded(),
                prompt == null ? 0 : prompt.framesUsed(), generated, ttft, promptRate, rate, timings);
        int[] tokens = Arrays.copyOfRange(history == null ? new int[0] : history, promptTokens, promptTokens + generated);
        return new Result(text.toString(), tokens, stop, stats);
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
