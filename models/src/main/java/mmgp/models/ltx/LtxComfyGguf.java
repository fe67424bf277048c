package mmgp.models.ltx;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import mmgp.convert.ConversionPlan;
import mmgp.gguf.GgufFile;
import mmgp.gguf.GgufFormatException;
import mmgp.gguf.TensorInfo;
import mmgp.graph.WeightSet;
import mmgp.tensor.GgmlType;

/**
 * A ComfyUI-GGUF LTX-Video transformer (city96's {@code tools/convert.py} + patched
 * {@code llama-quantize}, e.g. the community {@code ltx-video-2b-v0.9.x-Q8_0.gguf} files): the
 * transformer alone, {@code general.architecture "ltxv"}, tensors under the original LTX-Video
 * key names with {@code model.diffusion_model.} stripped (a file that keeps the prefix is read as
 * ComfyUI's loader reads it), any ggml type. As that converter writes them, a tensor's ggml shape
 * is its PyTorch shape reversed (no tensor of LTX-Video has more than 4 dimensions), unless a
 * {@code comfy.gguf.orig_shape.<name>} array gives the PyTorch shape of a tensor stored flattened;
 * 1-D tensors and {@code scale_shift_table}s stay F32 (or the source's F16/BF16), and the
 * quantizer leaves the embedders and projections ({@code adaln_single}, {@code caption_projection},
 * {@code patchify_proj}, {@code proj_out}) unquantized, but any 2-D weight of any type is taken:
 * ggml's mul_mat reads every quantized type.
 *
 * <p>Names map to diffusers' as for single files ({@link LtxSingleFile#transformerName}). The file
 * carries no config: the widths and layer count come from the tensor shapes, the head count from
 * a companion config that agrees with them, else the releases' 32 (2B: 32 × 64, 13B: 32 × 128).
 * Detection is by content: the architecture key and the tensor names; other ComfyUI-GGUF models
 * (flux, wan, hyvid, ...), LTX-2 and llama.cpp text models are refused by what they are.
 */
public final class LtxComfyGguf implements AutoCloseable {
    static final String ARCH = "ltxv";
    private static final String PREFIX = "model.diffusion_model.";
    private static final String ORIG_SHAPE = "comfy.gguf.orig_shape.";
    /** The keys ComfyUI-GGUF's converter detects LTX-Video by (its block-27 key, made size-independent). */
    private static final List<String> DETECT = List.of("adaln_single.emb.timestep_embedder.linear_2.weight",
            "transformer_blocks.0.scale_shift_table", "caption_projection.linear_2.weight", "patchify_proj.weight");
    private static final Set<String> TEXT_ARCHS = Set.of("t5", "t5encoder", "llama", "qwen2vl", "qwen3", "qwen3vl", "clip", "gemma3");

    private final Path path;
    private final GgufFile gguf;
    private final List<WeightSet.Entry> entries;     // diffusers names, ggml shapes
    private final Map<String, long[]> torchShapes;   // diffusers names → PyTorch shapes

    private LtxComfyGguf(Path path, GgufFile gguf, List<WeightSet.Entry> entries, Map<String, long[]> torchShapes) {
        this.path = path;
        this.gguf = gguf;
        this.entries = entries;
        this.torchShapes = torchShapes;
    }

    /**
     * Whether {@code file} starts with GGUF's magic bytes: one-file checkpoints are told apart by
     * content, since people rename them ({@code .sft}, no extension); anything else is read as
     * safetensors, whose reader names what is wrong with it.
     */
    static boolean isGguf(Path file) throws IOException {
        byte[] magic = new byte[4];
        try (var in = java.nio.file.Files.newInputStream(file)) {
            return in.readNBytes(magic, 0, 4) == 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F';
        }
    }

    /** Whether {@code gguf} is a ComfyUI-GGUF LTX-Video transformer. */
    public static boolean isComfyLtx(GgufFile gguf) {
        return refusal(gguf) == null;
    }

    /** Why {@code gguf} is not a ComfyUI-GGUF LTX-Video transformer, or null when it is. */
    static String refusal(GgufFile gguf) {
        String arch;
        try {
            arch = gguf.metadata().getString("general.architecture", "");
        } catch (GgufFormatException e) {
            return "a GGUF whose general.architecture is not a string";
        }
        Set<String> names = new TreeSet<>();
        boolean prefixed = gguf.tensors().stream().anyMatch(t -> t.name().startsWith(PREFIX));
        for (TensorInfo t : gguf.tensors()) {
            if (prefixed && !t.name().startsWith(PREFIX)) continue;
            names.add(prefixed ? t.name().substring(PREFIX.length()) : t.name());
        }
        for (String n : names) {
            if (n.startsWith("av_ca_") || n.contains(".audio_") || n.startsWith("audio_")) {
                return "an LTX-2 (audio-video) transformer (tensor " + n + "), which mmgp does not run; LTX-Video 0.9.x GGUF transformers are supported";
            }
        }
        if (LtxConverter.ARCH.equals(arch)) return "an mmgp LTX-Video GGUF (a whole model): open it on its own, without a text encoder source";
        if (TEXT_ARCHS.contains(arch)) return "a '" + arch + "' text-model GGUF, not an LTX-Video transformer (a T5 source is a diffusers LTX-Video folder or an mmgp LTX-Video GGUF)";
        boolean ltxKeys = names.containsAll(DETECT);
        if (arch.equals(ARCH) || (arch.isEmpty() || arch.equals("pig") || arch.equals("cow")) && ltxKeys) {
            if (ltxKeys) return null;
            List<String> missing = DETECT.stream().filter(k -> !names.contains(k)).toList();
            return "a GGUF marked 'ltxv' that lacks LTX-Video transformer tensors " + missing;
        }
        if (!arch.isEmpty()) return "a '" + arch + "' model GGUF, not an LTX-Video transformer (ComfyUI-GGUF 'ltxv')";
        return "a GGUF with no architecture key and no LTX-Video transformer tensors (" + names.size() + " tensors, e.g. "
                + names.stream().limit(3).toList() + ")";
    }

    /** Opens and maps {@code path}, or refuses it with what it is. */
    public static LtxComfyGguf open(Path path) throws IOException {
        GgufFile gguf = GgufFile.open(path);
        try {
            String why = refusal(gguf);
            if (why != null) throw new IllegalArgumentException(path + " is " + why);
            boolean prefixed = gguf.tensors().stream().anyMatch(t -> t.name().startsWith(PREFIX));
            List<WeightSet.Entry> entries = new ArrayList<>();
            Map<String, long[]> torch = new LinkedHashMap<>();
            for (TensorInfo t : gguf.tensors()) {
                if (prefixed && !t.name().startsWith(PREFIX)) continue;
                String original = prefixed ? t.name().substring(PREFIX.length()) : t.name();
                String name = "transformer." + LtxSingleFile.transformerName(original);
                long[] stored = t.nDims() == 0 ? new long[] {1} : t.shape();
                long[] torchShape = origShape(gguf, t);
                long[] ne = stored;
                if (torchShape != null) {
                    ne = ConversionPlan.ggmlShape(torchShape);
                    if (product(ne) != t.elementCount()) {
                        throw new IllegalArgumentException(path + ": " + t.name() + " has " + t.elementCount() + " elements but its "
                                + ORIG_SHAPE + " says " + Arrays.toString(torchShape));
                    }
                    if (t.type().isQuantized() && ne[0] != stored[0]) {
                        throw new IllegalArgumentException(path + ": " + t.name() + " is stored flattened as " + t.type()
                                + " rows of " + stored[0] + ", which cannot be read as rows of " + ne[0] + " without re-quantizing");
                    }
                } else {
                    torchShape = reversed(stored);
                }
                boolean matmul = ne.length == 2 && ne[1] > 1 && original.endsWith(".weight");
                if (!matmul && !isFloat(t.type())) {
                    throw new IllegalArgumentException(path + ": " + t.name() + " is " + t.type()
                            + "; vectors and modulation tables must be F32, F16 or BF16 (as ComfyUI-GGUF writes them)");
                }
                if (!isFloat(t.type()) && ne[0] % t.type().blockSize() != 0) {
                    throw new IllegalArgumentException(path + ": " + t.name() + " has rows of " + ne[0] + ", not whole " + t.type() + " blocks");
                }
                if (torch.put(name, torchShape) != null) throw new IllegalArgumentException(path + ": two tensors map to " + name);
                entries.add(new WeightSet.Entry(name, t.type(), ne, t.dataOffset(), matmul));
            }
            return new LtxComfyGguf(path, gguf, List.copyOf(entries), torch);
        } catch (IOException | RuntimeException e) {
            gguf.close();
            throw e;
        }
    }

    private static long[] origShape(GgufFile gguf, TensorInfo t) throws GgufFormatException {
        String key = ORIG_SHAPE + t.name();
        if (!gguf.metadata().contains(key)) return null;
        long[] shape = gguf.getArray(key).toLongArray();
        if (shape.length == 0 || shape.length > 4) throw new GgufFormatException(key + " must list 1 to 4 dimensions, got " + Arrays.toString(shape));
        return shape;
    }

    private static boolean isFloat(GgmlType t) {
        return t == GgmlType.F32 || t == GgmlType.F16 || t == GgmlType.BF16;
    }

    private static long product(long[] ne) {
        long n = 1;
        for (long d : ne) n = Math.multiplyExact(n, d);
        return n;
    }

    private static long[] reversed(long[] ne) {
        long[] r = new long[ne.length];
        for (int i = 0; i < ne.length; i++) r[i] = ne[ne.length - 1 - i];
        return r;
    }

    /**
     * The transformer's diffusers config from the tensor shapes; {@code hint} (a companion's
     * transformer config, or null) gives the head count, activation and eps where it agrees.
     */
    public JsonNode transformerConfig(JsonNode hint) {
        return LtxSingleFile.transformerConfig(hint, false, torchShapes, "ComfyUI GGUF " + path.getFileName());
    }

    private static final java.util.regex.Pattern RELEASE = java.util.regex.Pattern.compile("(?<![0-9])0\\.9\\.([0-9])(?![0-9])");

    /**
     * A one-line warning when the companion's VAE ({@code vae}: its diffusers config) is not the
     * release this transformer was published with, as far as that can be told: a release number in
     * the file name (community files keep Lightricks' names, e.g. {@code ltx-video-2b-v0.9.1-Q8_0.gguf}),
     * else the width (13B transformers came with 0.9.7, whose VAE is 0.9.5's); null when it matches or cannot be told.
     */
    public String vaeMismatch(JsonNode vae, Path vaeSource) {
        String want;
        String because;
        java.util.regex.Matcher m = RELEASE.matcher(path.getFileName().toString());
        long[] projIn = torchShapes.get("transformer.proj_in.weight");
        if (m.find()) {
            int minor = m.group(1).charAt(0) - '0';
            want = minor == 0 ? "0.9.0" : minor < 5 ? "0.9.1" : "0.9.5";
            because = "its file name says 0.9." + minor;
        } else if (projIn != null && projIn[0] >= 4096) {
            want = "0.9.5";
            because = "it is a 13B transformer (" + projIn[0] + " wide)";
        } else {
            return null;
        }
        String have = LtxConverter.version(vae);
        if (have.equals(want)) return null;
        return "warning: " + path.getFileName() + " expects the LTX-Video " + want + " VAE (" + because + ") but " + vaeSource
                + " has the " + have + " one; the video will likely be noise (use the matching release's folder or GGUF)";
    }

    /** The weights in place in the mapped file, under their diffusers names ({@code transformer.*}). */
    public WeightSet.Region region() {
        return new WeightSet.Region(gguf.dataSection(), entries);
    }

    /** Adds the transformer's tensors to a conversion: float ones re-encoded by its policy, quantized ones copied. */
    public void addTo(ConversionPlan plan) {
        for (WeightSet.Entry e : entries) {
            long rows = product(e.ne()) / e.ne()[0];
            plan.addRaw(e.name(), gguf.dataSection().asSlice(e.offset(), e.type().rowBytes(e.ne()[0]) * rows), e.type(), e.ne());
        }
    }

    /** The ggml types the file holds, with their tensor counts (e.g. {Q8_0=170, F32=300}). */
    public Map<GgmlType, Integer> types() {
        Map<GgmlType, Integer> counts = new LinkedHashMap<>();
        for (WeightSet.Entry e : entries) counts.merge(e.type(), 1, Integer::sum);
        return counts;
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() {
        gguf.close();
    }
}
