package mmgp.bindings.llama;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import mmgp.bindings.TinyGgufTensors;
import mmgp.bindings.ggml.Ggml;
import mmgp.bindings.gguf.GgufNative;

/**
 * Writes a complete, tiny "llama"-architecture GGUF (one layer, 64-wide, random F32 weights)
 * through the GGUF bindings, so the llama tests can load and decode a real model without a
 * download. Its vocabulary uses llama.cpp's "test" tokenizer: 128 tokens, text hashed in
 * 5-byte chunks, tokens rendered as their hex id.
 */
public final class TinyLlamaModel {
    public static final int N_VOCAB = 128, N_EMBD = 64, N_HEAD = 2, N_LAYER = 1, N_FF = 96, N_CTX_TRAIN = 256;
    /** Set as tokenizer.ggml.eos_token_id, so end-of-generation can be tested. */
    public static final int EOS = 2;

    private TinyLlamaModel() {}

    /** The decoder-only "llama" model. */
    public static Path write(Path file) {
        return write(file, "llama");
    }

    /**
     * The same weights under {@code arch}: "llama" (causal LM with a KV cache) or
     * "llama-embed" (the embedding variant, whose graph runs without a cache, so llama_encode works).
     */
    public static Path write(Path file, String arch) {
        MemorySegment gguf = GgufNative.initEmpty();
        MemorySegment ggml = Ggml.init(32 * Ggml.tensorOverhead(), true);
        try (Arena arena = Arena.ofConfined()) {
            GgufNative.setValStr(gguf, "general.architecture", arch);
            GgufNative.setValStr(gguf, "general.name", "tiny-test-llama");
            GgufNative.setValU32(gguf, arch + ".context_length", N_CTX_TRAIN);
            GgufNative.setValU32(gguf, arch + ".embedding_length", N_EMBD);
            GgufNative.setValU32(gguf, arch + ".block_count", N_LAYER);
            GgufNative.setValU32(gguf, arch + ".feed_forward_length", N_FF);
            GgufNative.setValU32(gguf, arch + ".attention.head_count", N_HEAD);
            GgufNative.setValF32(gguf, arch + ".attention.layer_norm_rms_epsilon", 1e-5f);
            GgufNative.setValStr(gguf, "tokenizer.ggml.model", "test");
            GgufNative.setArrStr(gguf, "tokenizer.ggml.tokens", IntStream.range(0, N_VOCAB).mapToObj(i -> "tok_" + i).toList());
            GgufNative.setArrData(gguf, "tokenizer.ggml.scores", GgufNative.TYPE_FLOAT32, arena.allocate(4L * N_VOCAB), N_VOCAB);
            GgufNative.setValU32(gguf, "tokenizer.ggml.eos_token_id", EOS);

            Map<String, long[]> tensors = new LinkedHashMap<>();
            tensors.put("token_embd.weight", new long[] {N_EMBD, N_VOCAB});
            tensors.put("output_norm.weight", new long[] {N_EMBD});
            for (int il = 0; il < N_LAYER; il++) {
                String b = "blk." + il + ".";
                tensors.put(b + "attn_norm.weight", new long[] {N_EMBD});
                tensors.put(b + "attn_q.weight", new long[] {N_EMBD, N_EMBD});
                tensors.put(b + "attn_k.weight", new long[] {N_EMBD, N_EMBD});
                tensors.put(b + "attn_v.weight", new long[] {N_EMBD, N_EMBD});
                tensors.put(b + "attn_output.weight", new long[] {N_EMBD, N_EMBD});
                tensors.put(b + "ffn_norm.weight", new long[] {N_EMBD});
                tensors.put(b + "ffn_gate.weight", new long[] {N_EMBD, N_FF});
                tensors.put(b + "ffn_down.weight", new long[] {N_FF, N_EMBD});
                tensors.put(b + "ffn_up.weight", new long[] {N_EMBD, N_FF});
            }
            // Norm weights 1 as in a trained model; other weights small, so activations stay finite.
            TinyGgufTensors.add(gguf, ggml, arena, tensors, new Random(42),
                    (name, random) -> name.contains("norm") ? 1f : (float) (random.nextGaussian() * 0.1));
            GgufNative.writeToFile(gguf, file, false);
        } finally {
            Ggml.free(ggml);
            GgufNative.free(gguf);
        }
        return file;
    }
}
