package mmgp.bindings.mtmd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import mmgp.bindings.TinyGgufTensors;
import mmgp.bindings.ggml.Ggml;
import mmgp.bindings.gguf.GgufNative;

/**
 * Writes a tiny LLaVA-style ("mlp" projector) vision projector GGUF with random F32 weights:
 * 28x28 images in 14x14 patches (4 image tokens), a 32-wide one-layer ViT and a two-layer MLP
 * into {@code textEmbd} dimensions, so mtmd can tokenize, encode and evaluate an image chunk
 * against a tiny text model without a download.
 */
public final class TinyMmproj {
    public static final int IMAGE_SIZE = 28, PATCH_SIZE = 14, N_PATCHES = 4;
    private static final int N_EMBD = 32, N_HEAD = 2, N_FF = 48, PROJ_HIDDEN = 48;

    private TinyMmproj() {}

    public static Path write(Path file, int textEmbd) {
        MemorySegment gguf = GgufNative.initEmpty();
        MemorySegment ggml = Ggml.init(32 * Ggml.tensorOverhead(), true);
        try (Arena arena = Arena.ofConfined()) {
            GgufNative.setValStr(gguf, "general.architecture", "clip");
            GgufNative.setValBool(gguf, "clip.has_vision_encoder", true);
            GgufNative.setValStr(gguf, "clip.projector_type", "mlp");
            GgufNative.setValU32(gguf, "clip.vision.embedding_length", N_EMBD);
            GgufNative.setValU32(gguf, "clip.vision.attention.head_count", N_HEAD);
            GgufNative.setValU32(gguf, "clip.vision.feed_forward_length", N_FF);
            GgufNative.setValU32(gguf, "clip.vision.block_count", 2);
            GgufNative.setValU32(gguf, "clip.vision.projection_dim", textEmbd);
            GgufNative.setValF32(gguf, "clip.vision.attention.layer_norm_epsilon", 1e-6f);
            GgufNative.setValU32(gguf, "clip.vision.image_size", IMAGE_SIZE);
            GgufNative.setValU32(gguf, "clip.vision.patch_size", PATCH_SIZE);
            GgufNative.setArrData(gguf, "clip.vision.image_mean", GgufNative.TYPE_FLOAT32, arena.allocateFrom(ValueLayout.JAVA_FLOAT, 0.5f, 0.5f, 0.5f), 3);
            GgufNative.setArrData(gguf, "clip.vision.image_std", GgufNative.TYPE_FLOAT32, arena.allocateFrom(ValueLayout.JAVA_FLOAT, 0.5f, 0.5f, 0.5f), 3);
            GgufNative.setValBool(gguf, "clip.use_gelu", true);

            Map<String, long[]> tensors = new LinkedHashMap<>();
            tensors.put("v.patch_embd.weight", new long[] {PATCH_SIZE, PATCH_SIZE, 3, N_EMBD});
            tensors.put("v.position_embd.weight", new long[] {N_EMBD, N_PATCHES});
            for (int il = 0; il < 2; il++) {
                String b = "v.blk." + il + ".";
                tensors.put(b + "ln1.weight", new long[] {N_EMBD});
                tensors.put(b + "ln1.bias", new long[] {N_EMBD});
                tensors.put(b + "attn_q.weight", new long[] {N_EMBD, N_EMBD});
                tensors.put(b + "attn_k.weight", new long[] {N_EMBD, N_EMBD});
                tensors.put(b + "attn_v.weight", new long[] {N_EMBD, N_EMBD});
                tensors.put(b + "attn_out.weight", new long[] {N_EMBD, N_EMBD});
                tensors.put(b + "ln2.weight", new long[] {N_EMBD});
                tensors.put(b + "ln2.bias", new long[] {N_EMBD});
                tensors.put(b + "ffn_up.weight", new long[] {N_EMBD, N_FF});
                tensors.put(b + "ffn_down.weight", new long[] {N_FF, N_EMBD});
            }
            tensors.put("mm.0.weight", new long[] {N_EMBD, PROJ_HIDDEN});
            tensors.put("mm.0.bias", new long[] {PROJ_HIDDEN});
            tensors.put("mm.2.weight", new long[] {PROJ_HIDDEN, textEmbd});
            tensors.put("mm.2.bias", new long[] {textEmbd});

            TinyGgufTensors.add(gguf, ggml, arena, tensors, new Random(1234), (name, random) -> {
                boolean normWeight = name.contains(".ln") && name.endsWith("weight");
                return normWeight ? 1f : name.endsWith("bias") ? 0f : (float) (random.nextGaussian() * 0.1);
            });
            GgufNative.writeToFile(gguf, file, false);
        } finally {
            Ggml.free(ggml);
            GgufNative.free(gguf);
        }
        return file;
    }
}
