package mmgp.models.ltx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import mmgp.graph.WeightSet;
import mmgp.registry.ModelCatalog;
import mmgp.registry.ModelDefaults;
import mmgp.safetensors.SafetensorsFile;
import mmgp.safetensors.SafetensorsTensorInfo;
import mmgp.tensor.GgmlType;

/**
 * A Lightricks single-file LTX-Video checkpoint (e.g. {@code ltx-video-2b-v0.9.5.safetensors}):
 * the transformer under {@code model.diffusion_model.*} (or bare) and the VAE under {@code vae.*},
 * with the original LTX-Video key names, plus an optional {@code config} JSON entry in the
 * safetensors header metadata ({@code {"transformer": {...}, "vae": {...}, ...}}).
 *
 * <p>Names are mapped to diffusers' ({@code transformer.*}, {@code vae.*}) as diffusers'
 * single-file loader does (single_file_utils.py, convert_ltx_transformer/vae_checkpoint_to_diffusers):
 * ordered substring renames, the VAE's block indices by layout. The VAE layout is 0.9.0 (encoder
 * {@code down_blocks.0..9}, decoder {@code up_blocks.0..9} with {@code conv_in} channel changers),
 * 0.9.1 (0.9.0 encoder, timestep-conditioned decoder {@code up_blocks.0..8}) or 0.9.5/0.9.7
 * (encoder {@code down_blocks.0..8} too). The header config's VAE section decides it when present
 * ({@code timestep_conditioning}, {@code encoder_blocks} with {@code compress_*_res} blocks);
 * otherwise the keys do, as diffusers infers the model type; a header that contradicts the keys is refused.
 *
 * <p>Configs (diffusers form): a VAE header section whose {@code _class_name} is already diffusers'
 * ({@code AutoencoderKLLTXVideo}) is used as is, a transformer one is checked against the shapes. A Lightricks
 * transformer section ({@code Transformer3DModel}) shares diffusers' key names except
 * {@code qk_norm "rms_norm"} (one norm across heads). A Lightricks VAE section
 * ({@code CausalVideoAutoencoder}) or none selects diffusers' published config of that release
 * (the block lists of LTX-Video 0.9.0 / 0.9.1 / 0.9.5; 0.9.6 to 0.9.8, 2B and 13B, share 0.9.5's
 * VAE), as diffusers' loader does. The transformer's widths and layer count always come from the
 * tensor shapes ({@link #transformerConfig(JsonNode, boolean, Map, String)}), so 2B (28 layers,
 * 32 × 64) and 13B (48 layers, 32 × 128) load alike; a Lightricks header gives the head count and
 * must agree with the shapes, no header means the releases' 32 heads.
 *
 * <p>Anything else is refused by what it is: LTX-2 (audio-video) checkpoints, a diffusers
 * component file, or a file with no LTX-Video keys. The text encoder, tokenizer and scheduler are
 * not in these files: {@link LtxModel#open(Path, Path, mmgp.graph.ComputeBackend)} takes them from
 * a diffusers LTX-Video folder.
 */
public final class LtxSingleFile implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The VAE key layouts diffusers' converter knows. */
    public enum VaeLayout { V090, V091, V095 }

    private final Path path;
    private final SafetensorsFile file;
    private final Map<String, SafetensorsTensorInfo> byDiffusersName; // "transformer.x" / "vae.x"
    private final VaeLayout layout;
    private final JsonNode transformerConfig;
    private final JsonNode vaeConfig;
    private final ModelDefaults recommended;
    private final boolean headerTransformer; // the header config has a transformer section
    private final Map<String, long[]> shapes; // diffusers names → PyTorch shapes

    private LtxSingleFile(Path path, SafetensorsFile file, Map<String, SafetensorsTensorInfo> names, VaeLayout layout,
                          JsonNode transformerConfig, JsonNode vaeConfig, ModelDefaults recommended, boolean headerTransformer,
                          Map<String, long[]> shapes) {
        this.path = path;
        this.file = file;
        this.byDiffusersName = names;
        this.layout = layout;
        this.transformerConfig = transformerConfig;
        this.vaeConfig = vaeConfig;
        this.recommended = recommended;
        this.headerTransformer = headerTransformer;
        this.shapes = shapes;
    }

    /** Whether {@code names} are those of a single-file LTX-Video (0.9.x) checkpoint. */
    public static boolean isLtxVideo(Set<String> names) {
        return refusal(names) == null;
    }

    /** Why {@code names} are not an LTX-Video single file, or null when they are. */
    static String refusal(Set<String> names) {
        for (String n : names) {
            if (n.startsWith("audio_vae.") || n.contains("av_ca_") || n.contains("audio_") && n.startsWith("model.diffusion_model.")) {
                return "an LTX-2 (audio-video) checkpoint (key " + n + "), which mmgp does not run; LTX-Video 0.9.x single files are supported";
            }
        }
        boolean transformer = names.contains("model.diffusion_model.patchify_proj.weight") || names.contains("patchify_proj.weight");
        boolean vae = names.contains("vae.decoder.conv_in.conv.weight");
        if (transformer && names.stream().anyMatch(n -> n.contains("scale_shift_table"))) {
            return vae ? null : "an LTX-Video transformer without its VAE (no vae.* keys); use a full single-file checkpoint or a diffusers folder";
        }
        if (names.contains("proj_in.weight") && names.contains("time_embed.linear.weight")) {
            return "a diffusers LTXVideoTransformer3DModel component file, not a Lightricks single file; open its diffusers folder instead";
        }
        if (names.contains("decoder.conv_in.conv.weight") && !transformer) {
            return "a VAE alone (no transformer keys), not a single-file LTX-Video checkpoint";
        }
        List<String> sample = names.stream().sorted().limit(3).toList();
        return "no LTX-Video checkpoint: it has no model.diffusion_model.patchify_proj / vae.decoder keys (" + names.size()
                + " tensors, e.g. " + sample + ")";
    }

    /** Opens and maps {@code path}, or refuses it with what it is. */
    public static LtxSingleFile open(Path path) throws IOException {
        SafetensorsFile file = SafetensorsFile.open(path);
        try {
            Set<String> names = new TreeSet<>(file.names());
            String why = refusal(names);
            if (why != null) throw new IllegalArgumentException(path + " is " + why);
            JsonNode header = headerConfig(file.metadata(), path);
            VaeLayout fromKeys = layoutFromKeys(names);
            VaeLayout layout = fromKeys;
            JsonNode hv = header == null ? null : header.get("vae");
            if (hv != null && !isDiffusers(hv, "AutoencoderKLLTXVideo")) {
                VaeLayout fromHeader = layoutFromLightricksConfig(hv);
                if (fromHeader != fromKeys) {
                    throw new IllegalArgumentException(path + ": header config describes a " + fromHeader + " VAE but the keys are those of " + fromKeys);
                }
            }
            Map<String, SafetensorsTensorInfo> mapped = new LinkedHashMap<>();
            for (SafetensorsTensorInfo t : file.tensors()) {
                String n = t.name();
                String d;
                if (n.contains("vae.")) {
                    d = vaeName(n, layout);
                    if (d == null) continue;
                    d = "vae." + d;
                } else {
                    d = "transformer." + transformerName(n);
                }
                if (mapped.put(d, t) != null) throw new IllegalArgumentException(path + ": two tensors map to " + d);
            }
            Map<String, long[]> shapes = new LinkedHashMap<>();
            mapped.forEach((n, t) -> shapes.put(n, t.shape()));
            JsonNode ht = header == null ? null : header.get("transformer");
            JsonNode tc = transformerConfig(ht, true, shapes, "single-file LTX-Video checkpoint " + path.getFileName());
            JsonNode vc = hv != null && isDiffusers(hv, "AutoencoderKLLTXVideo") ? hv : releaseVaeConfig(layout);
            return new LtxSingleFile(path, file, mapped, layout, tc, vc, recommendedDefaults(header, path), ht != null, Map.copyOf(shapes));
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static JsonNode headerConfig(Map<String, String> metadata, Path path) {
        String c = metadata == null ? null : metadata.get("config");
        if (c == null) return null;
        try {
            JsonNode n = JSON.readTree(c);
            return n.isObject() ? n : null;
        } catch (IOException e) {
            throw new IllegalArgumentException(path + ": the header 'config' metadata is not JSON: " + e.getMessage(), e);
        }
    }

    private static boolean isDiffusers(JsonNode section, String className) {
        return className.equals(section.path("_class_name").asText());
    }

    /** diffusers' key tests, made structural: the encoder's and decoder's block counts tell the layout. */
    static VaeLayout layoutFromKeys(Set<String> names) {
        boolean decoder090 = names.stream().anyMatch(n -> n.startsWith("vae.decoder.up_blocks.9."));
        boolean encoder090 = names.stream().anyMatch(n -> n.startsWith("vae.encoder.down_blocks.9."));
        boolean hasEncoder = names.stream().anyMatch(n -> n.startsWith("vae.encoder."));
        if (decoder090) return VaeLayout.V090;
        if (!hasEncoder || encoder090) return hasEncoder ? VaeLayout.V091 : VaeLayout.V095;
        return VaeLayout.V095;
    }

    /** The layout a Lightricks {@code CausalVideoAutoencoder} config describes. */
    static VaeLayout layoutFromLightricksConfig(JsonNode vae) {
        JsonNode blocks = vae.path("encoder_blocks");
        if (blocks.isArray()) {
            for (JsonNode b : blocks) {
                String kind = b.isArray() ? b.path(0).asText() : b.asText();
                if (kind.startsWith("compress_") && kind.endsWith("_res")) return VaeLayout.V095;
            }
        }
        return vae.path("timestep_conditioning").asBoolean(false) ? VaeLayout.V091 : VaeLayout.V090;
    }

    // ---- name mapping (diffusers' ordered substring renames) ----

    private static final List<String[]> TRANSFORMER_RENAMES = List.of(
            new String[] {"model.diffusion_model.", ""},
            new String[] {"patchify_proj", "proj_in"},
            new String[] {"adaln_single", "time_embed"},
            new String[] {"q_norm", "norm_q"},
            new String[] {"k_norm", "norm_k"});

    /** The diffusers name of an original transformer key. */
    public static String transformerName(String original) {
        return apply(original, TRANSFORMER_RENAMES);
    }

    private static LinkedHashMap<String, String> vaeRenames(VaeLayout layout) {
        LinkedHashMap<String, String> r = new LinkedHashMap<>();
        r.put("vae.", "");
        String[] up090 = {"mid_block", "up_blocks.0", "up_blocks.1.upsamplers.0", "up_blocks.1", "up_blocks.2.conv_in",
                "up_blocks.2.upsamplers.0", "up_blocks.2", "up_blocks.3.conv_in", "up_blocks.3.upsamplers.0", "up_blocks.3"};
        for (int i = 0; i < up090.length; i++) r.put("up_blocks." + i, up090[i]);
        String[] down090 = {"down_blocks.0", "down_blocks.0.downsamplers.0", "down_blocks.0.conv_out", "down_blocks.1",
                "down_blocks.1.downsamplers.0", "down_blocks.1.conv_out", "down_blocks.2", "down_blocks.2.downsamplers.0",
                "down_blocks.3", "mid_block"};
        for (int i = 0; i < down090.length; i++) r.put("down_blocks." + i, down090[i]);
        r.put("conv_shortcut", "conv_shortcut.conv");
        r.put("res_blocks", "resnets");
        r.put("norm3.norm", "norm3");
        r.put("per_channel_statistics.mean-of-means", "latents_mean");
        r.put("per_channel_statistics.std-of-means", "latents_std");
        if (layout != VaeLayout.V090) {
            String[] up = {"mid_block", "up_blocks.0.upsamplers.0", "up_blocks.0", "up_blocks.1.upsamplers.0", "up_blocks.1",
                    "up_blocks.2.upsamplers.0", "up_blocks.2", "up_blocks.3.upsamplers.0", "up_blocks.3"};
            for (int i = 0; i < up.length; i++) r.put("up_blocks." + i, up[i]); // keeps its place, as dict.update does
            if (layout == VaeLayout.V095) {
                String[] down = {"down_blocks.0", "down_blocks.0.downsamplers.0", "down_blocks.1", "down_blocks.1.downsamplers.0",
                        "down_blocks.2", "down_blocks.2.downsamplers.0", "down_blocks.3", "down_blocks.3.downsamplers.0", "mid_block"};
                for (int i = 0; i < down.length; i++) r.put("down_blocks." + i, down[i]);
            }
            r.put("last_time_embedder", "time_embedder");
            r.put("last_scale_shift_table", "scale_shift_table");
        }
        return r;
    }

    private static final Map<VaeLayout, List<String[]>> VAE_RENAMES = new java.util.EnumMap<>(VaeLayout.class);

    static {
        for (VaeLayout l : VaeLayout.values()) {
            List<String[]> list = new ArrayList<>();
            vaeRenames(l).forEach((k, v) -> list.add(new String[] {k, v}));
            VAE_RENAMES.put(l, List.copyOf(list));
        }
    }

    /** The diffusers name (without "vae.") of an original VAE key, or null for the statistics diffusers drops. */
    public static String vaeName(String original, VaeLayout layout) {
        String d = apply(original, VAE_RENAMES.get(layout));
        if (d.contains("per_channel_statistics.")) return null; // channel, mean-of-stds: not weights
        return d;
    }

    private static String apply(String name, List<String[]> renames) {
        String s = name;
        for (String[] r : renames) s = s.replace(r[0], r[1]);
        return s;
    }

    // ---- configs ----

    /** Every LTX-Video release (2B: 32 × 64, 13B: 32 × 128) has 32 heads; the tensors only tell their product. */
    static final int RELEASE_HEADS = 32;

    private static final List<String> CONFIG_KEYS = List.of("in_channels", "out_channels", "num_layers", "num_attention_heads",
            "attention_head_dim", "cross_attention_dim", "caption_channels", "activation_fn", "norm_elementwise_affine", "norm_eps",
            "attention_bias", "attention_out_bias", "patch_size", "patch_size_t");

    /**
     * The transformer's diffusers config, every width taken from the tensor shapes
     * ({@code shapes}: diffusers names {@code transformer.*} → PyTorch shapes), so 2B, 13B and any
     * other size load alike. {@code hint} (or null) supplies what shapes cannot tell (the head
     * count, activation, eps): a diffusers or Lightricks config. A {@code binding} hint (the
     * file's own header) that contradicts the shapes is refused; a non-binding one (a companion
     * folder's config, which may be another size) is used only where it agrees with them, else the
     * head count falls back to the releases' 32.
     */
    static JsonNode transformerConfig(JsonNode hint, boolean binding, Map<String, long[]> shapes, String what) {
        long[] projIn = shape(shapes, "transformer.proj_in.weight", what);
        long[] projOut = shape(shapes, "transformer.proj_out.weight", what);
        long[] caption = shape(shapes, "transformer.caption_projection.linear_1.weight", what);
        int layers = 0;
        while (shapes.containsKey("transformer.transformer_blocks." + layers + ".scale_shift_table")) layers++;
        if (layers == 0) throw new IllegalArgumentException(what + " has no transformer_blocks.0.scale_shift_table");
        int inner = (int) projIn[0];
        ObjectNode fromShapes = JSON.createObjectNode();
        fromShapes.put("in_channels", (int) projIn[1]);
        fromShapes.put("out_channels", (int) projOut[0]);
        fromShapes.put("num_layers", layers);
        fromShapes.put("cross_attention_dim", inner);
        fromShapes.put("caption_channels", (int) caption[1]);
        ObjectNode c = JSON.createObjectNode();
        c.put("_class_name", LtxTransformerConfig.CLASS_NAME);
        c.put("qk_norm", "rms_norm_across_heads");
        boolean agrees = hint != null;
        int heads = 0;
        int headDim = 0;
        if (hint != null) {
            String qk = hint.path("qk_norm").asText("rms_norm");
            if (!qk.equals("rms_norm") && !qk.equals("rms_norm_across_heads")) {
                throw new IllegalArgumentException(what + ": qk_norm '" + qk + "' is not supported (rms_norm)");
            }
            for (var it = fromShapes.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                JsonNode h = hint.get(k);
                if (h != null && !h.isNull() && h.asLong() != fromShapes.get(k).asLong()) {
                    if (binding) {
                        throw new IllegalArgumentException(what + ": its config says " + k + " " + h + " but the tensors imply " + fromShapes.get(k));
                    }
                    agrees = false;
                }
            }
            int[] split = headSplit(hint, inner);
            if (split == null) {
                if (binding) {
                    throw new IllegalArgumentException(what + ": its config says " + hint.path("num_attention_heads").asText("?") + " heads × "
                            + hint.path("attention_head_dim").asText("?") + " but the tensors are " + inner + " wide");
                }
                agrees = false;
            } else if (split.length == 2) {
                heads = split[0];
                headDim = split[1];
            }
        }
        if (agrees) {
            for (String k : CONFIG_KEYS) {
                if (hint.hasNonNull(k)) c.set(k, hint.get(k));
            }
        } else {
            heads = 0; // a companion config of another size says nothing about this one's heads
        }
        if (heads == 0) {
            if (inner % RELEASE_HEADS != 0) {
                throw new IllegalArgumentException(what + ": the transformer is " + inner + " wide, not a multiple of " + RELEASE_HEADS
                        + " heads, and no config names its head count (give a diffusers folder whose transformer/config.json matches)");
            }
            heads = RELEASE_HEADS;
            headDim = inner / RELEASE_HEADS;
        }
        // both, always: a hint naming one of them must not leave the other to LtxTransformerConfig's 2B default
        c.put("num_attention_heads", heads);
        c.put("attention_head_dim", headDim);
        c.setAll(fromShapes);
        return c;
    }

    /**
     * The head count and width {@code hint} names for a transformer {@code inner} wide: {heads,
     * dim} when it names one or both and they split {@code inner}, an empty array when it names
     * neither, null when what it names does not fit the width.
     */
    private static int[] headSplit(JsonNode hint, int inner) {
        JsonNode h = hint.get("num_attention_heads");
        JsonNode d = hint.get("attention_head_dim");
        boolean hasHeads = h != null && !h.isNull();
        boolean hasDim = d != null && !d.isNull();
        if (!hasHeads && !hasDim) return new int[0];
        int heads = hasHeads ? h.asInt() : 0;
        int dim = hasDim ? d.asInt() : 0;
        if (hasHeads && heads <= 0 || hasDim && dim <= 0) return null;
        if (!hasDim) dim = inner % heads == 0 ? inner / heads : -1;
        if (!hasHeads) heads = inner % dim == 0 ? inner / dim : -1;
        return heads > 0 && dim > 0 && (long) heads * dim == inner ? new int[] {heads, dim} : null;
    }

    private static long[] shape(Map<String, long[]> shapes, String name, String what) {
        long[] s = shapes.get(name);
        if (s == null) throw new IllegalArgumentException(what + " lacks " + name);
        return s;
    }

    /** diffusers' published AutoencoderKLLTXVideo config for the release with this VAE layout (LTX-Video 2B). */
    static JsonNode releaseVaeConfig(VaeLayout layout) {
        String json = switch (layout) {
            case V090 -> """
                    {"block_out_channels":[128,256,512,512],"decoder_block_out_channels":[128,256,512,512],
                     "layers_per_block":[4,3,3,3,4],"decoder_layers_per_block":[4,3,3,3,4],
                     "spatio_temporal_scaling":[true,true,true,false],"decoder_spatio_temporal_scaling":[true,true,true,false],
                     "decoder_inject_noise":[false,false,false,false,false],"upsample_residual":[false,false,false,false],
                     "upsample_factor":[1,1,1,1],"timestep_conditioning":false,
                     "down_block_types":["LTXVideoDownBlock3D","LTXVideoDownBlock3D","LTXVideoDownBlock3D","LTXVideoDownBlock3D"],
                     "downsample_type":["conv","conv","conv","conv"]}""";
            case V091 -> """
                    {"block_out_channels":[128,256,512,512],"decoder_block_out_channels":[256,512,1024],
                     "layers_per_block":[4,3,3,3,4],"decoder_layers_per_block":[5,6,7,8],
                     "spatio_temporal_scaling":[true,true,true,false],"decoder_spatio_temporal_scaling":[true,true,true],
                     "decoder_inject_noise":[true,true,true,false],"upsample_residual":[true,true,true],
                     "upsample_factor":[2,2,2],"timestep_conditioning":true,
                     "down_block_types":["LTXVideoDownBlock3D","LTXVideoDownBlock3D","LTXVideoDownBlock3D","LTXVideoDownBlock3D"],
                     "downsample_type":["conv","conv","conv","conv"]}""";
            case V095 -> """
                    {"block_out_channels":[128,256,512,1024,2048],"decoder_block_out_channels":[256,512,1024],
                     "layers_per_block":[4,6,6,2,2],"decoder_layers_per_block":[5,5,5,5],
                     "spatio_temporal_scaling":[true,true,true,true],"decoder_spatio_temporal_scaling":[true,true,true],
                     "decoder_inject_noise":[false,false,false,false],"upsample_residual":[true,true,true],
                     "upsample_factor":[2,2,2],"timestep_conditioning":true,
                     "down_block_types":["LTXVideo095DownBlock3D","LTXVideo095DownBlock3D","LTXVideo095DownBlock3D","LTXVideo095DownBlock3D"],
                     "downsample_type":["spatial","temporal","spatiotemporal","spatiotemporal"],
                     "spatial_compression_ratio":32,"temporal_compression_ratio":8}""";
        };
        try {
            ObjectNode c = (ObjectNode) JSON.readTree(json);
            c.put("_class_name", "AutoencoderKLLTXVideo");
            c.put("in_channels", 3);
            c.put("out_channels", 3);
            c.put("latent_channels", 128);
            c.put("patch_size", 4);
            c.put("patch_size_t", 1);
            c.put("resnet_norm_eps", 1e-6);
            c.put("scaling_factor", 1.0);
            c.put("encoder_causal", true);
            c.put("decoder_causal", false);
            return c;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- access ----

    /**
     * The settings the file's header config recommends: a distilled release (0.9.6 / 0.9.7 / 0.9.8
     * distilled) lists the only timesteps it was trained for in {@code allowed_inference_steps}
     * (0..1, as Lightricks' pipeline checks them), and Lightricks' configs run it with guidance 1,
     * decode timestep 0.05 and decode noise scale 0.025. The single-pass list is the releases' 7-timestep one
     * (Lightricks' first pass, diffusers' examples) when the header allows each of its steps;
     * otherwise the header's own list. No such entry: {@link ModelDefaults#NONE}.
     */
    public ModelDefaults recommendedDefaults() {
        return recommended;
    }

    static ModelDefaults recommendedDefaults(JsonNode header, Path path) {
        JsonNode allowed = header == null ? null : header.get("allowed_inference_steps");
        if (allowed == null || allowed.isNull()) return ModelDefaults.NONE;
        // Advice only: a list mmgp cannot read leaves the file usable, without recommended defaults.
        if (!allowed.isArray() || allowed.isEmpty()) return unreadableSteps(path, "is not a list of timesteps: " + allowed);
        double[] steps = new double[allowed.size()];
        for (int i = 0; i < steps.length; i++) {
            JsonNode v = allowed.get(i);
            if (!v.isNumber() || v.asDouble() <= 0 || v.asDouble() > 1) {
                return unreadableSteps(path, "holds " + v + ", not a timestep in (0, 1]");
            }
            steps[i] = v.asDouble() * 1000;
        }
        ModelDefaults releases = ModelCatalog.DISTILLED_DEFAULTS;
        boolean allowsReleaseList = java.util.Arrays.stream(releases.timesteps())
                .allMatch(t -> java.util.Arrays.stream(steps).anyMatch(a -> Math.abs(a - t) < 1));
        return allowsReleaseList ? releases : ModelDefaults.distilled(steps, releases.decodeTimestep(), releases.decodeNoiseScale());
    }

    private static ModelDefaults unreadableSteps(Path path, String why) {
        System.getLogger(LtxSingleFile.class.getName()).log(System.Logger.Level.WARNING,
                path.getFileName() + ": the header's allowed_inference_steps " + why + "; no recommended defaults taken from it");
        return ModelDefaults.NONE;
    }

    public VaeLayout vaeLayout() {
        return layout;
    }

    /** The transformer's config in diffusers' form: the header's, else from the shapes with the releases' 32 heads. */
    public JsonNode transformerConfig() {
        return transformerConfig;
    }

    /**
     * The transformer's config when {@code companion} (a companion folder's or GGUF's transformer
     * config, or null) may fill in what a file without a header transformer section cannot tell:
     * used only where it agrees with the tensor shapes, as for a ComfyUI GGUF. A header config wins.
     */
    public JsonNode transformerConfig(JsonNode companion) {
        if (headerTransformer || companion == null) return transformerConfig;
        return transformerConfig(companion, false, shapes, "single-file LTX-Video checkpoint " + path.getFileName());
    }

    /** The VAE's config in diffusers' form. */
    public JsonNode vaeConfig() {
        return vaeConfig;
    }

    /** The diffusers names ({@code transformer.*}, {@code vae.*}) this file provides. */
    public Set<String> names() {
        return byDiffusersName.keySet();
    }

    /** Each diffusers name ({@code transformer.*}, {@code vae.*}) with the file's own key for it. */
    public Map<String, String> originalNames() {
        Map<String, String> m = new LinkedHashMap<>();
        byDiffusersName.forEach((d, info) -> m.put(d, info.name()));
        return m;
    }

    /** The float weights in place in the mapped file, under their diffusers names, as a region for {@link WeightSet#mapRegions}. */
    public WeightSet.Region region() {
        List<WeightSet.Entry> entries = new ArrayList<>();
        byDiffusersName.forEach((name, info) -> {
            GgmlType type = switch (info.dtype()) {
                case F32 -> GgmlType.F32;
                case F16 -> GgmlType.F16;
                case BF16 -> GgmlType.BF16;
                default -> null;
            };
            if (type == null) return;
            long[] ne = mmgp.convert.ConversionPlan.ggmlShape(info.shape());
            entries.add(new WeightSet.Entry(name, type, ne, info.fileOffset(), ne.length == 2 && ne[1] > 1));
        });
        return new WeightSet.Region(file.mapping(), entries);
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() {
        file.close();
    }
}
