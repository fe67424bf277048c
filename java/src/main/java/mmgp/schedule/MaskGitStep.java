package mmgp.schedule;

import java.lang.foreign.MemorySegment;
import mmgp.sampling.FloatSelection;
import mmgp.sampling.Rng;
import mmgp.sampling.Softmax;

/**
 * One MaskGIT decoding step over image tokens, the math of diffusers' (v0.33.1) AmusedScheduler.step:
 *
 * <ol>
 *   <li>each masked token draws a code from the softmax of its logits (torch.multinomial); tokens given in
 *       the input keep their id;</li>
 *   <li>confidence = {@code log(max(p_chosen, 1e-20)) + temperature * gumbel}, where a token given in the
 *       input counts as {@code p = Float.MAX_VALUE} (so it is practically never re-masked, exactly as in
 *       diffusers);</li>
 *   <li>{@code maskLen = floor(tokens * maskRatio)} in float32, clamped to at most {@code #masked - 1} and at
 *       least 1; tokens whose confidence is strictly below the {@code maskLen}-th smallest confidence (0-based)
 *       are masked again. With ties this can mask fewer than {@code maskLen}, as diffusers does.</li>
 * </ol>
 *
 * <p>Logits are token-major: for each batch row and token, {@code codes} contiguous floats (the codebook
 * axis last, as after diffusers' permute). Each row of the batch has its own mask length. Random draws come
 * from the {@link Rng} in torch's order: first one {@link Rng#nextCategorical} per masked token over the whole
 * batch (torch also draws for tokens that are not masked and discards them; this step skips those), then one
 * {@link Rng#nextGumbel} per token, masked or not, row by row. Softmax runs only for masked tokens.
 *
 * <p>Holds its buffers and reuses them across steps. Not thread-safe.
 */
public final class MaskGitStep {

    /** {@code log(Float.MAX_VALUE)} in float32: the log-confidence diffusers gives tokens already known. */
    private static final float KNOWN_LOG_CONFIDENCE = (float) Math.log(Float.MAX_VALUE);
    private static final float MIN_PROBABILITY = 1e-20f;

    private final int tokens;
    private final int codes;
    private final int maskTokenId;
    private final float[] probabilityValues;
    private final MemorySegment probabilities;
    private final float[] selection;
    private int[] maskedPerRow = new int[0];
    private float[] chosenProbabilities = new float[0];
    private int[] predictionScratch = new int[0];

    /**
     * @param tokens      tokens per image (e.g. 256 for a 16x16 grid)
     * @param codes       codebook size: logits per token
     * @param maskTokenId id of the mask token in the sample
     */
    public MaskGitStep(int tokens, int codes, int maskTokenId) {
        if (tokens <= 0 || codes <= 0) {
            throw new IllegalArgumentException("tokens and codes must be positive: " + tokens + ", " + codes);
        }
        this.tokens = tokens;
        this.codes = codes;
        this.maskTokenId = maskTokenId;
        this.probabilityValues = new float[codes];
        this.probabilities = MemorySegment.ofArray(probabilityValues);
        this.selection = new float[tokens];
    }

    /**
     * A step that re-masks the least confident tokens (every step but the last).
     *
     * @param logits            {@code batch * tokens * codes} floats, token-major
     * @param sample            {@code batch * tokens} current ids, {@code maskTokenId} where masked
     * @param prevSample        receives the ids for the next step; may be {@code sample}
     * @param predictedOriginal receives the predicted ids with nothing re-masked, or null; may be {@code sample}
     * @param temperature       scale of the Gumbel noise (the scheduler's temperature for this step)
     * @param maskRatio         fraction to leave masked, e.g. {@link MaskingSchedule#maskRatio}
     */
    public void step(MemorySegment logits, int batch, int[] sample, int[] prevSample, int[] predictedOriginal,
            float temperature, float maskRatio, Rng rng) {
        run(logits, batch, sample, prevSample, predictedOriginal, temperature, maskRatio, rng, true, false);
    }

    /** Scalar reference path of {@link #step}: only the softmax differs. */
    public void stepScalar(MemorySegment logits, int batch, int[] sample, int[] prevSample, int[] predictedOriginal,
            float temperature, float maskRatio, Rng rng) {
        run(logits, batch, sample, prevSample, predictedOriginal, temperature, maskRatio, rng, false, false);
    }

    /**
     * The last step (diffusers' timestep 0): every masked token takes its drawn code and nothing is re-masked;
     * no Gumbel noise is drawn. {@code prevSample} may be {@code sample}.
     */
    public void finalStep(MemorySegment logits, int batch, int[] sample, int[] prevSample, Rng rng) {
        run(logits, batch, sample, prevSample, null, 0f, 0f, rng, true, true);
    }

    private void run(MemorySegment logits, int batch, int[] sample, int[] prevSample, int[] predictedOriginal,
            float temperature, float maskRatio, Rng rng, boolean vectorized, boolean last) {
        int total = checkShapes(logits, batch, sample, prevSample, predictedOriginal);
        if (!last && tokens < 2) {
            throw new IllegalArgumentException("re-masking needs at least 2 tokens per row, got " + tokens);
        }
        int[] predicted = predictedOriginal != null ? predictedOriginal : predictionBuffer(total);
        if (chosenProbabilities.length < total) {
            chosenProbabilities = new float[total];
        }
        if (maskedPerRow.length < batch) {
            maskedPerRow = new int[batch];
        }
        java.util.Arrays.fill(maskedPerRow, 0, batch, 0);

        // 1. Draw a code for every masked token, in token order over the whole batch (torch's order).
        for (int position = 0; position < total; position++) {
            int id = sample[position];
            if (id == maskTokenId) {
                maskedPerRow[position / tokens]++;
                MemorySegment row = logits.asSlice(4L * codes * position, 4L * codes);
                if (vectorized) {
                    Softmax.softmax(row, probabilities, codes);
                } else {
                    Softmax.softmaxScalar(row, probabilities, codes);
                }
                int code = rng.nextCategorical(probabilities, codes);
                predicted[position] = code;
                chosenProbabilities[position] = probabilityValues[code];
            } else {
                predicted[position] = id;
                chosenProbabilities[position] = Float.NaN; // marks a known token; never read as a probability
            }
        }
        if (last) {
            System.arraycopy(predicted, 0, prevSample, 0, total);
            return;
        }

        // 2. Per row: Gumbel-perturbed log-confidence, cut at the maskLen-th smallest, re-mask below the cut.
        float[] confidence = chosenProbabilities; // overwritten in place, position by position
        for (int b = 0; b < batch; b++) {
            int start = b * tokens;
            int maskLen = maskLength(maskRatio, maskedPerRow[b]);
            for (int t = 0; t < tokens; t++) {
                float p = confidence[start + t];
                float logConfidence = Float.isNaN(p) ? KNOWN_LOG_CONFIDENCE : (float) Math.log(Math.max(p, MIN_PROBABILITY));
                float c = logConfidence + temperature * rng.nextGumbel();
                confidence[start + t] = c;
                selection[t] = c;
            }
            float cutOff = FloatSelection.kthSmallest(selection, 0, tokens, maskLen);
            for (int t = 0; t < tokens; t++) {
                int position = start + t;
                prevSample[position] = confidence[position] < cutOff ? maskTokenId : predicted[position];
            }
        }
    }

    /**
     * diffusers' mask length, with its float32 arithmetic: {@code floor(tokens * ratio)}, then
     * {@code min(#masked - 1, .)} and {@code max(1, .)}.
     */
    private int maskLength(float maskRatio, int masked) {
        float length = (float) Math.floor((float) tokens * maskRatio);
        length = Math.min((float) (masked - 1), length);
        length = Math.max(1f, length);
        return (int) length;
    }

    private int checkShapes(MemorySegment logits, int batch, int[] sample, int[] prevSample, int[] predictedOriginal) {
        if (batch <= 0) {
            throw new IllegalArgumentException("batch must be positive: " + batch);
        }
        int total = Math.multiplyExact(batch, tokens);
        long logitBytes = 4L * codes * total;
        if (logits.byteSize() < logitBytes) {
            throw new IllegalArgumentException("logits hold " + logits.byteSize() + " bytes, need " + logitBytes
                    + " for " + batch + " x " + tokens + " x " + codes + " floats");
        }
        if (sample.length < total || prevSample.length < total
                || (predictedOriginal != null && predictedOriginal.length < total)) {
            throw new IllegalArgumentException("id arrays must hold " + total + " tokens");
        }
        return total;
    }

    private int[] predictionBuffer(int total) {
        if (predictionScratch.length < total) {
            predictionScratch = new int[total];
        }
        return predictionScratch;
    }
}
