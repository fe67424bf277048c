package mmgp.models.smolvlm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.BooleanSupplier;
import mmgp.bindings.llama.Llama;
import mmgp.bindings.llama.LlamaBatch;
import mmgp.bindings.llama.LlamaContextParams;
import mmgp.bindings.llama.LlamaException;
import mmgp.sampling.StopTokens;

/**
 * The llama.cpp side of SmolVLM2 understanding: one context whose KV cache is shared by many sequences
 * (every request's beams, several requests at once), the batches that feed it, and the pool of free
 * sequence ids. It is what llama.cpp's examples keep in their {@code main}: context parameters, prompt
 * chunks, one batch per decode step, {@code llama_memory_seq_*} bookkeeping. The generation logic above it
 * (sampling, beam search, streaming) sees token ids, positions, sequence ids and logits only.
 *
 * <p>The KV cache is unified, so a beam copied from its parent shares the prompt's cells instead of
 * duplicating them, and all requests draw from one pool of cells. Not thread-safe: the owner serializes
 * calls.
 */
final class SmolVlmLlamaSession implements AutoCloseable {

    private static final int GGML_TYPE_F32 = 0, GGML_TYPE_F16 = 1;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment ctx, memory, vocab;
    /** Prompt chunks: token ids, or image feature rows in place of {@code <image>} positions. */
    private final MemorySegment tokenBatch, embdBatch;
    /** One row per running sequence: a decode step of everything in flight. */
    private final MemorySegment stepBatch;
    private final int nCtx, nBatch, nVocab, nEmbd, imageTokenId, maxSequences;
    private final StopTokens stopTokens;
    private final Deque<Integer> freeSequences = new ArrayDeque<>();

    /**
     * A context on {@code model}'s text weights sized by {@code settings}. {@code tokenizer} names the
     * {@code <end_of_utterance>} token, which joins llama.cpp's end-of-generation set.
     */
    SmolVlmLlamaSession(SmolVlmModel model, SmolVlmUnderstanding.Settings settings, Gpt2Tokenizer tokenizer) {
        MemorySegment c = null;
        try {
            MemorySegment cp = Llama.contextDefaultParams(arena);
            LlamaContextParams.nCtx(cp, settings.contextTokens());
            LlamaContextParams.nBatch(cp, settings.batchTokens());
            LlamaContextParams.nUbatch(cp, settings.batchTokens());
            LlamaContextParams.nSeqMax(cp, settings.maxSequences());
            LlamaContextParams.kvUnified(cp, true); // beams share prompt cells; one pool of cells for all requests
            LlamaContextParams.nThreads(cp, settings.threads());
            LlamaContextParams.nThreadsBatch(cp, settings.threads());
            boolean exact = settings.exactNumerics();
            LlamaContextParams.flashAttnType(cp, exact ? LlamaContextParams.FLASH_ATTN_DISABLED : LlamaContextParams.FLASH_ATTN_AUTO);
            LlamaContextParams.typeK(cp, exact ? GGML_TYPE_F32 : GGML_TYPE_F16);
            LlamaContextParams.typeV(cp, exact ? GGML_TYPE_F32 : GGML_TYPE_F16);
            LlamaContextParams.offloadKqv(cp, false);
            LlamaContextParams.noPerf(cp, true);
            c = Llama.initFromModel(model.llamaModel(), cp);
            this.ctx = c;
            this.memory = Llama.getMemory(c);
            this.vocab = Llama.modelGetVocab(model.llamaModel());
            this.nCtx = Llama.nCtx(c);
            this.nBatch = Llama.nBatch(c);
            this.nVocab = model.nVocab();
            this.nEmbd = model.nEmbd();
            this.imageTokenId = model.imageTokenId();
            this.maxSequences = settings.maxSequences();
            this.stopTokens = stopTokens(vocab, nVocab, tokenizer);
            this.tokenBatch = Llama.batchInit(arena, nBatch, 0, 1);
            this.embdBatch = Llama.batchInit(arena, nBatch, nEmbd, 1);
            this.stepBatch = Llama.batchInit(arena, maxSequences, 0, 1);
        } catch (RuntimeException e) {
            if (c != null) Llama.free(c);
            arena.close();
            throw e;
        }
    }

    /** End-of-generation tokens: llama.cpp's EOG set (EOS, EOT, {@code <|im_end|>}...) and {@code <end_of_utterance>}. */
    private static StopTokens stopTokens(MemorySegment vocab, int nVocab, Gpt2Tokenizer tokenizer) {
        boolean[] stop = new boolean[nVocab];
        for (int t = 0; t < nVocab; t++) stop[t] = Llama.vocabIsEog(vocab, t);
        if (tokenizer.isAddedToken("<end_of_utterance>")) {
            int id = tokenizer.tokenToId("<end_of_utterance>");
            if (id >= 0 && id < nVocab) stop[id] = true;
        }
        return new StopTokens(stop);
    }

    /** KV cells of the context (after llama.cpp's rounding). */
    int contextTokens() { return nCtx; }

    int vocabSize() { return nVocab; }

    /** Width of a text embedding: one image feature row. */
    int embeddingSize() { return nEmbd; }

    /** The {@code <image>} id, -1 when the text model has none. */
    int imageTokenId() { return imageTokenId; }

    /** The end-of-generation tokens. */
    StopTokens stopTokens() { return stopTokens; }

    /** llama.cpp's tokenization of a prompt whose special tokens are parsed (no BOS added). */
    int[] tokenize(String text) {
        return Llama.tokenize(vocab, text, false, true);
    }

    /** The bytes of a token (a piece of a UTF-8 character possibly). */
    byte[] piece(int token) {
        return Llama.tokenToPiece(vocab, token, false);
    }

    // ---------------------------------------------------------------- sequences and KV cache

    /** Empties the KV cache and returns every sequence id to the pool, in order. */
    void reset() {
        freeSequences.clear();
        for (int s = 0; s < maxSequences; s++) freeSequences.add(s);
        Llama.memoryClear(memory, false);
    }

    /** Empties the KV cache (after a failure, the state of every sequence is unknown). */
    void clearMemory() {
        Llama.memoryClear(memory, false);
    }

    int freeSequenceCount() {
        return freeSequences.size();
    }

    /** Takes {@code n} sequence ids from the pool (there must be enough). */
    int[] takeSequences(int n) {
        int[] seqs = new int[n];
        for (int b = 0; b < n; b++) seqs[b] = freeSequences.poll();
        return seqs;
    }

    /** Empties the sequences' cells and returns their ids to the pool. */
    void releaseSequences(int[] seqs) {
        for (int s : seqs) {
            clearSequence(s);
            freeSequences.add(s);
        }
    }

    /** Drops every cell of sequence {@code seq}. */
    void clearSequence(int seq) {
        Llama.memorySeqRm(memory, seq, -1, -1);
    }

    /** Makes sequence {@code to} see every cell of {@code from} (shared cells, not copied data, in a unified cache). */
    void copySequence(int from, int to) {
        Llama.memorySeqCp(memory, from, to, -1, -1);
    }

    // ---------------------------------------------------------------- decoding

    /**
     * Decodes a prompt into sequence {@code seq} from position 0: runs of text tokens as token batches,
     * runs of {@code <image>} positions as embedding batches (rows of {@code features}, in order); logits
     * only for the last position ({@link #lastLogits}). False when {@code cancelled} between chunks.
     */
    boolean decodePrompt(int[] ids, float[] features, int seq, BooleanSupplier cancelled) {
        int imageRow = 0;
        int i = 0;
        while (i < ids.length) {
            if (cancelled.getAsBoolean()) return false;
            boolean image = ids[i] == imageTokenId;
            int j = i;
            while (j < ids.length && (ids[j] == imageTokenId) == image && j - i < nBatch) j++;
            MemorySegment batch = image ? embdBatch : tokenBatch;
            LlamaBatch.clear(batch);
            for (int k = i; k < j; k++) {
                boolean output = k == ids.length - 1;
                if (image) {
                    LlamaBatch.addEmbedding(batch, features, imageRow++, nEmbd, k, seq, output);
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

    /** Starts an empty step batch. */
    void beginStep() {
        LlamaBatch.clear(stepBatch);
    }

    /** Adds one token of sequence {@code seq} at {@code pos} to the step batch, with logits; returns its row. */
    int addStepToken(int token, int pos, int seq) {
        int row = LlamaBatch.nTokens(stepBatch);
        LlamaBatch.add(stepBatch, token, pos, seq, true);
        return row;
    }

    /** Rows in the step batch. */
    int stepRows() {
        return LlamaBatch.nTokens(stepBatch);
    }

    /** Decodes the step batch; then {@link #stepLogits} holds each row's logits. */
    void decodeStep(String what) {
        decodeOrThrow(stepBatch, what);
    }

    /** The logits of a step-batch row, read in place (valid until the next decode). */
    MemorySegment stepLogits(int row) {
        return Llama.getLogitsIth(ctx, row).reinterpret(4L * nVocab);
    }

    /** The logits of the last decoded position (a prompt's last token), read in place. */
    MemorySegment lastLogits() {
        return Llama.getLogitsIth(ctx, -1).reinterpret(4L * nVocab);
    }

    private void decodeOrThrow(MemorySegment batch, String what) {
        int rc = Llama.decode(ctx, batch);
        if (rc != 0) {
            throw new LlamaException("llama_decode failed (" + rc + ") on " + what + (rc == 1 ? ": no free KV cells" : rc == 2 ? ": aborted" : ""));
        }
    }

    @Override
    public void close() {
        Llama.batchFree(tokenBatch);
        Llama.batchFree(embdBatch);
        Llama.batchFree(stepBatch);
        Llama.free(ctx);
        arena.close();
    }
}
