package mmgp.bindings.llama;

import static mmgp.bindings.CTypes.*;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * {@code struct llama_batch} (56 bytes), the by-value input of llama_decode/llama_encode: a
 * count and six parallel arrays (token or embd, pos, n_seq_id, seq_id, logits).
 *
 * <p>A batch from {@link Llama#batchInit} owns its arrays; {@link #add} fills it the way
 * llama.cpp's common_batch_add does. Capacity is not stored in the struct: the caller keeps
 * n_tokens below the size it passed to llama_batch_init.
 */
public final class LlamaBatch {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            INT.withName("n_tokens"),
            MemoryLayout.paddingLayout(4),
            PTR.withName("token"),
            PTR.withName("embd"),
            PTR.withName("pos"),
            PTR.withName("n_seq_id"),
            PTR.withName("seq_id"),
            PTR.withName("logits")).withName("llama_batch");

    private static final long N_TOKENS = offset("n_tokens");
    private static final long TOKEN = offset("token");
    private static final long EMBD = offset("embd");
    private static final long POS = offset("pos");
    private static final long N_SEQ_ID = offset("n_seq_id");
    private static final long SEQ_ID = offset("seq_id");
    private static final long LOGITS = offset("logits");
    private static final long UNBOUNDED = Long.MAX_VALUE;

    private LlamaBatch() {}

    public static long offset(String field) {
        return LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(field));
    }

    private static MemorySegment view(MemorySegment batch) {
        return batch.reinterpret(LAYOUT.byteSize());
    }

    public static int nTokens(MemorySegment batch) { return view(batch).get(INT, N_TOKENS); }
    public static void nTokens(MemorySegment batch, int n) { view(batch).set(INT, N_TOKENS, n); }

    /** Arrays of the batch, unbounded views: index only below n_tokens (or the allocated size). */
    public static MemorySegment token(MemorySegment batch) { return view(batch).get(PTR, TOKEN).reinterpret(UNBOUNDED); }
    public static MemorySegment embd(MemorySegment batch) { return view(batch).get(PTR, EMBD).reinterpret(UNBOUNDED); }
    public static MemorySegment pos(MemorySegment batch) { return view(batch).get(PTR, POS).reinterpret(UNBOUNDED); }
    public static MemorySegment nSeqId(MemorySegment batch) { return view(batch).get(PTR, N_SEQ_ID).reinterpret(UNBOUNDED); }
    public static MemorySegment seqId(MemorySegment batch) { return view(batch).get(PTR, SEQ_ID).reinterpret(UNBOUNDED); }
    public static MemorySegment logits(MemorySegment batch) { return view(batch).get(PTR, LOGITS).reinterpret(UNBOUNDED); }

    /** Empties the batch for reuse; the arrays stay allocated. */
    public static void clear(MemorySegment batch) {
        nTokens(batch, 0);
    }

    /**
     * Appends one token of one sequence at position {@code pos}; {@code output} asks for its
     * logits (or embedding). Needs a token batch (llama_batch_init with embd 0).
     */
    public static void add(MemorySegment batch, int token, int pos, int seqId, boolean output) {
        int i = nTokens(batch);
        token(batch).setAtIndex(ValueLayout.JAVA_INT, i, token);
        pos(batch).setAtIndex(ValueLayout.JAVA_INT, i, pos);
        nSeqId(batch).setAtIndex(ValueLayout.JAVA_INT, i, 1);
        seqId(batch).getAtIndex(PTR, i).reinterpret(ValueLayout.JAVA_INT.byteSize()).set(ValueLayout.JAVA_INT, 0, seqId);
        logits(batch).set(ValueLayout.JAVA_BYTE, i, output ? (byte) 1 : (byte) 0);
        nTokens(batch, i + 1);
    }

    /**
     * Appends one embedding row of one sequence at position {@code pos}: {@code nEmbd} floats of
     * {@code embeddings} from row {@code row}. The embedding counterpart of {@link #add}; needs an
     * embedding batch (llama_batch_init with embd {@code nEmbd}).
     */
    public static void addEmbedding(MemorySegment batch, float[] embeddings, int row, int nEmbd, int pos, int seqId, boolean output) {
        int i = nTokens(batch);
        MemorySegment.copy(embeddings, row * nEmbd, embd(batch), ValueLayout.JAVA_FLOAT, (long) i * nEmbd * Float.BYTES, nEmbd);
        pos(batch).setAtIndex(ValueLayout.JAVA_INT, i, pos);
        nSeqId(batch).setAtIndex(ValueLayout.JAVA_INT, i, 1);
        seqId(batch).getAtIndex(PTR, i).reinterpret(ValueLayout.JAVA_INT.byteSize()).set(ValueLayout.JAVA_INT, 0, seqId);
        logits(batch).set(ValueLayout.JAVA_BYTE, i, output ? (byte) 1 : (byte) 0);
        nTokens(batch, i + 1);
    }

    /** Turns output (logits) on or off for entry {@code i}, e.g. only for the last prompt token. */
    public static void output(MemorySegment batch, int i, boolean output) {
        logits(batch).set(ValueLayout.JAVA_BYTE, i, output ? (byte) 1 : (byte) 0);
    }
}
