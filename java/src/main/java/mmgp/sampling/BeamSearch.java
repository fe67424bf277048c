package mmgp.sampling;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Deterministic beam search over next-token distributions, as transformers' {@code generate(num_beams=…)}
 * with length penalty 1 and {@code early_stopping=False}: each step every running beam proposes its
 * 2·width most likely tokens; the best width candidates that are not stop tokens become the beams; a stop
 * token ranked within the first width ends a hypothesis, scored by its log-probability sum over its length.
 * The search ends when width hypotheses exist and no running beam scores better, or at the token budget.
 *
 * <p>The search holds tokens and scores only, not the model: a step takes the running beams' raw logits
 * from a {@link NextTokenLogits} source, so the same code drives any decoder (llama.cpp sequences, a plain
 * Java forward, a test's table). After a step, {@link #parent} tells which old beam each new beam
 * continues, so a caller that keeps per-beam state (a KV cache sequence) copies it from there. Steps are
 * driven by the caller, so several searches can share one batched decode.
 *
 * <p>Before ranking, logits are filtered as the sampler does: stop tokens masked until the minimum
 * length, the repetition penalty over context and beam. Log-probabilities come from
 * {@link Softmax#logSoftmaxScalar}, whose rounding does not depend on the CPU's vector width, and the
 * candidates from {@link TopK#largestIndices}; ties keep the lower beam, then the lower token id.
 */
public final class BeamSearch {

    /** The next-token logits of a running beam, read in place. */
    @FunctionalInterface
    public interface NextTokenLogits {
        /** {@code vocabSize} floats for running beam {@code beam}; the search filters them in place. */
        MemorySegment logits(int beam);
    }

    /** A finished hypothesis: generated tokens (stop token included) and its length-normalized log-probability. */
    private record Hypothesis(int[] tokens, double score) {}

    /** A beam candidate: parent beam, token, and the parent's log-probability sum plus the token's. */
    private record Candidate(int parent, int token, double logProb) {}

    private final int width;
    private final int vocabSize;
    private final int maxNewTokens;
    private final int minNewTokens;
    private final int contextLength;
    private final StopTokens stopTokens;
    private final float repetitionPenalty;
    private final RepetitionPenalty penalty;
    /** The context, then a beam's tokens: the repetition-penalty history. */
    private final int[] history;
    private final float[] logProbs;
    private final MemorySegment logProbsSegment;
    private final List<Hypothesis> finished = new ArrayList<>();
    private int[][] tokens = {new int[0]};
    private double[] logProb = {0};
    private int[] parents = {0};
    private int running = 1;
    private int generated;

    /**
     * @param width             beams kept each step
     * @param vocabSize         logits per beam
     * @param context           the prompt's token ids (repetition-penalty history before the generated tokens)
     * @param stopTokens        end-of-generation tokens, covering the {@code vocabSize} tokens
     * @param maxNewTokens      token budget, stop token included
     * @param minNewTokens      stop tokens are masked before this many tokens
     * @param repetitionPenalty HF's repetition penalty; 1 for none
     */
    public BeamSearch(int width, int vocabSize, int[] context, StopTokens stopTokens, int maxNewTokens, int minNewTokens,
                      float repetitionPenalty) {
        if (width < 1) throw new IllegalArgumentException("beam width must be positive: " + width);
        if (maxNewTokens < 1) throw new IllegalArgumentException("max new tokens must be positive: " + maxNewTokens);
        if (stopTokens.vocabSize() != vocabSize) {
            throw new IllegalArgumentException(stopTokens.vocabSize() + " stop flags for a vocabulary of " + vocabSize);
        }
        this.width = width;
        this.vocabSize = vocabSize;
        this.maxNewTokens = maxNewTokens;
        this.minNewTokens = minNewTokens;
        this.contextLength = Objects.requireNonNull(context, "context").length;
        this.stopTokens = stopTokens;
        this.repetitionPenalty = repetitionPenalty;
        this.penalty = repetitionPenalty == 1f ? null : new RepetitionPenalty(vocabSize);
        this.history = Arrays.copyOf(context, contextLength + maxNewTokens);
        this.logProbs = new float[vocabSize];
        this.logProbsSegment = MemorySegment.ofArray(logProbs);
    }

    /**
     * Ranks the running beams' next tokens and moves the search one token on. Returns true while beams
     * are still running; false when the search has ended ({@link #best} is then the answer).
     */
    public boolean step(NextTokenLogits next) {
        if (running == 0) throw new IllegalStateException("the search has ended");
        List<Candidate> candidates = new ArrayList<>();
        for (int b = 0; b < running; b++) {
            MemorySegment logits = next.logits(b);
            if (generated < minNewTokens) {
                stopTokens.mask(logits);
            }
            if (penalty != null) {
                System.arraycopy(tokens[b], 0, history, contextLength, generated);
                penalty.apply(logits, vocabSize, history, contextLength + generated, repetitionPenalty);
            }
            Softmax.logSoftmaxScalar(logits, logProbsSegment, vocabSize);
            for (int t : TopK.largestIndices(logProbs, 2 * width)) candidates.add(new Candidate(b, t, logProb[b] + logProbs[t]));
        }
        candidates.sort(Comparator.comparingDouble(Candidate::logProb).reversed()); // stable: ties keep beam, then rank order
        generated++;

        List<Candidate> kept = new ArrayList<>(width);
        for (int rank = 0; rank < candidates.size() && kept.size() < width; rank++) {
            Candidate c = candidates.get(rank);
            if (stopTokens.isStop(c.token())) {
                if (rank < width) addHypothesis(append(tokens[c.parent()], c.token()), c.logProb());
            } else {
                kept.add(c);
            }
        }
        boolean budgetSpent = generated == maxNewTokens;
        boolean noBetterRunning = finished.size() >= width && !kept.isEmpty()
                && finished.getLast().score() >= kept.get(0).logProb() / generated;
        if (budgetSpent || kept.isEmpty() || noBetterRunning) {
            if (budgetSpent) for (Candidate c : kept) addHypothesis(append(tokens[c.parent()], c.token()), c.logProb());
            running = 0;
            return false;
        }
        int[][] newTokens = new int[kept.size()][];
        double[] newLogProb = new double[kept.size()];
        int[] newParents = new int[kept.size()];
        for (int j = 0; j < kept.size(); j++) {
            Candidate c = kept.get(j);
            newTokens[j] = append(tokens[c.parent()], c.token());
            newLogProb[j] = c.logProb();
            newParents[j] = c.parent();
        }
        tokens = newTokens;
        logProb = newLogProb;
        parents = newParents;
        running = kept.size();
        return true;
    }

    /** Ends the search early (a cancelled request): the running beams become hypotheses. */
    public void stop() {
        for (int b = 0; b < running; b++) {
            if (tokens[b].length > 0) addHypothesis(tokens[b], logProb[b]);
        }
        running = 0;
    }

    /** Beams still running (0 once the search has ended). */
    public int running() {
        return running;
    }

    /** Tokens generated so far by every running beam (they all have the same length). */
    public int generated() {
        return generated;
    }

    /** The newest token of running beam {@code beam}: the next decode's input. */
    public int lastToken(int beam) {
        Objects.checkIndex(beam, running);
        int[] t = tokens[beam];
        return t[t.length - 1];
    }

    /** The beam, before the last step, that running beam {@code beam} continues. */
    public int parent(int beam) {
        Objects.checkIndex(beam, running);
        return parents[beam];
    }

    /** The best hypothesis' tokens (a stop token last when it ended on one); empty when none finished. */
    public int[] best() {
        return finished.isEmpty() ? new int[0] : finished.getFirst().tokens().clone();
    }

    private void addHypothesis(int[] hypothesisTokens, double logProbSum) {
        finished.add(new Hypothesis(hypothesisTokens, logProbSum / hypothesisTokens.length));
        finished.sort(Comparator.comparingDouble(Hypothesis::score).reversed());
        if (finished.size() > width) finished.removeLast(); // only the best width hypotheses are kept
    }

    private static int[] append(int[] tokens, int token) {
        int[] out = Arrays.copyOf(tokens, tokens.length + 1);
        out[tokens.length] = token;
        return out;
    }
}
