package mmgp.models.ltx;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The config.json of diffusers' {@code AutoencoderKLLTXVideo} (diffusers 0.33.1,
 * models/autoencoders/autoencoder_kl_ltx.py): what the decoder and the encoder read, plus the
 * compression ratios the pipeline asks the VAE for.
 *
 * <p>Absent fields take the defaults of {@code AutoencoderKLLTXVideo.__init__}, as
 * {@code from_pretrained} fills them: the Lightricks/LTX-Video 0.9.0 config.json predates the
 * decoder_* fields and relies on exactly that. The per-block lists are kept in config order;
 * the decoder reads them reversed, as {@code LTXVideoDecoder3d} does ({@link #reversed}).
 *
 * <p>Decoder values no diffusers decoder can run are refused here; the encoder's lists are
 * checked by {@link LtxVaeEncoder}, so a config whose encoder is unusable still decodes.
 *
 * @param spatioTemporalScaling the ENCODER's list: diffusers derives the compression ratios from it
 * @param spatialCompressionRatio {@code spatial_compression_ratio}, or patch_size·2^(scaling blocks) when null
 * @param temporalCompressionRatio {@code temporal_compression_ratio}, or patch_size_t·2^(scaling blocks) when null
 * @param inChannels           the encoder's input channels (in_channels)
 * @param blockOutChannels     the encoder's block_out_channels (for 0.9.5 encoders the last is the mid block width)
 * @param layersPerBlock       the encoder's layers_per_block (the last entry is the mid block's)
 * @param downBlockTypes       LTXVideoDownBlock3D (0.9.0/0.9.1) or LTXVideo095DownBlock3D per encoder block
 * @param downsampleType       conv, spatial, temporal or spatiotemporal per LTXVideo095DownBlock3D
 * @param encoderCausal        encoder_causal
 */
public record LtxVaeConfig(
        int latentChannels,
        int outChannels,
        List<Boolean> spatioTemporalScaling,
        List<Integer> decoderBlockOutChannels,
        List<Integer> decoderLayersPerBlock,
        List<Boolean> decoderSpatioTemporalScaling,
        List<Boolean> decoderInjectNoise,
        List<Boolean> upsampleResidual,
        List<Integer> upsampleFactor,
        boolean timestepConditioning,
        int patchSize,
        int patchSizeT,
        double resnetNormEps,
        double scalingFactor,
        boolean decoderCausal,
        int spatialCompressionRatio,
        int temporalCompressionRatio,
        int inChannels,
        List<Integer> blockOutChannels,
        List<Integer> layersPerBlock,
        List<String> downBlockTypes,
        List<String> downsampleType,
        boolean encoderCausal) {

    public LtxVaeConfig {
        spatioTemporalScaling = List.copyOf(spatioTemporalScaling);
        decoderBlockOutChannels = List.copyOf(decoderBlockOutChannels);
        decoderLayersPerBlock = List.copyOf(decoderLayersPerBlock);
        decoderSpatioTemporalScaling = List.copyOf(decoderSpatioTemporalScaling);
        decoderInjectNoise = List.copyOf(decoderInjectNoise);
        upsampleResidual = List.copyOf(upsampleResidual);
        upsampleFactor = List.copyOf(upsampleFactor);
        blockOutChannels = List.copyOf(blockOutChannels);
        layersPerBlock = List.copyOf(layersPerBlock);
        downBlockTypes = List.copyOf(downBlockTypes);
        downsampleType = List.copyOf(downsampleType);
        positive("in_channels", inChannels);
        positive("latent_channels", latentChannels);
        positive("out_channels", outChannels);
        positive("patch_size", patchSize);
        positive("patch_size_t", patchSizeT);
        positive("spatial_compression_ratio", spatialCompressionRatio);
        positive("temporal_compression_ratio", temporalCompressionRatio);
        if (patchSizeT != 1) {
            // The decoder's conv_out has out_channels·patch_size² channels whatever patch_size_t is,
            // so the unpatchify reshape to (B, -1, p_t, p, p, ...) cannot give out_channels frames.
            throw new IllegalArgumentException("AutoencoderKLLTXVideo config: patch_size_t " + patchSizeT
                    + " is not supported; diffusers' decoder only unpatchifies patch_size_t 1");
        }
        if (!(resnetNormEps > 0)) throw new IllegalArgumentException("AutoencoderKLLTXVideo config: resnet_norm_eps must be positive, got " + resnetNormEps);
        if (!(scalingFactor != 0) || !Double.isFinite(scalingFactor)) {
            throw new IllegalArgumentException("AutoencoderKLLTXVideo config: scaling_factor must be a finite non-zero number, got " + scalingFactor);
        }
        int n = decoderBlockOutChannels.size();
        if (n == 0) throw new IllegalArgumentException("AutoencoderKLLTXVideo config: decoder_block_out_channels is empty");
        for (int c : decoderBlockOutChannels) positive("decoder_block_out_channels entry", c);
        // LTXVideoDecoder3d indexes the reversed lists up to these lengths; a shorter list fails there.
        atLeast("decoder_layers_per_block", decoderLayersPerBlock.size(), n + 1, n);
        atLeast("decoder_spatio_temporal_scaling", decoderSpatioTemporalScaling.size(), n, n);
        atLeast("decoder_inject_noise", decoderInjectNoise.size(), n + 1, n);
        atLeast("upsample_residual", upsampleResidual.size(), n, n);
        atLeast("upsample_factor", upsampleFactor.size(), n, n);
        for (int layers : decoderLayersPerBlock) {
            if (layers < 0) throw new IllegalArgumentException("AutoencoderKLLTXVideo config: decoder_layers_per_block " + decoderLayersPerBlock + " has a negative entry");
        }
        // The channel arithmetic of LTXVideoDecoder3d.__init__: every width must divide by its block's
        // upsample factor, and what each block declares as its input must be what arrives, or the
        // model cannot run (in diffusers either).
        int output = reversed(decoderBlockOutChannels, 0);
        for (int i = 0; i < n; i++) {
            int f = reversed(upsampleFactor, i);
            int width = reversed(decoderBlockOutChannels, i);
            if (f <= 0 || output % f != 0 || width % f != 0) {
                throw new IllegalArgumentException("AutoencoderKLLTXVideo config: upsample_factor " + upsampleFactor
                        + " does not divide the decoder widths " + decoderBlockOutChannels);
            }
            int in = output / f, out = width / f;
            int expects = in != out ? in : reversed(decoderSpatioTemporalScaling, i) ? out * f : out;
            if (expects != output) {
                throw new IllegalArgumentException("AutoencoderKLLTXVideo config: decoder up block " + i + " expects " + expects
                        + " input channels but receives " + output + " (decoder_block_out_channels " + decoderBlockOutChannels
                        + ", upsample_factor " + upsampleFactor + ")");
            }
            output = out;
        }
    }

    /** Reads an AutoencoderKLLTXVideo config.json; errors name the offending field. */
    public static LtxVaeConfig fromJson(JsonNode json) {
        String cls = json.path("_class_name").asText("AutoencoderKLLTXVideo");
        if (!cls.equals("AutoencoderKLLTXVideo")) {
            throw new IllegalArgumentException("expected an AutoencoderKLLTXVideo config, got _class_name \"" + cls + "\"");
        }
        List<Boolean> scaling = boolList(json, "spatio_temporal_scaling", List.of(true, true, true, false));
        int patch = integer(json, "patch_size", 4);
        int patchT = integer(json, "patch_size_t", 1);
        int scaled = 0;
        for (boolean s : scaling) if (s) scaled++;
        return new LtxVaeConfig(
                integer(json, "latent_channels", 128),
                integer(json, "out_channels", 3),
                scaling,
                intList(json, "decoder_block_out_channels", List.of(128, 256, 512, 512)),
                intList(json, "decoder_layers_per_block", List.of(4, 3, 3, 3, 4)),
                boolList(json, "decoder_spatio_temporal_scaling", List.of(true, true, true, false)),
                boolList(json, "decoder_inject_noise", List.of(false, false, false, false, false)),
                boolList(json, "upsample_residual", List.of(false, false, false, false)),
                intList(json, "upsample_factor", List.of(1, 1, 1, 1)),
                flag(json, "timestep_conditioning", false),
                patch,
                patchT,
                number(json, "resnet_norm_eps", 1e-6),
                number(json, "scaling_factor", 1.0),
                flag(json, "decoder_causal", false),
                integer(json, "spatial_compression_ratio", patch << scaled),
                integer(json, "temporal_compression_ratio", patchT << scaled),
                integer(json, "in_channels", 3),
                intList(json, "block_out_channels", List.of(128, 256, 512, 512)),
                intList(json, "layers_per_block", List.of(4, 3, 3, 3, 4)),
                stringList(json, "down_block_types", List.of("LTXVideoDownBlock3D", "LTXVideoDownBlock3D", "LTXVideoDownBlock3D", "LTXVideoDownBlock3D")),
                stringList(json, "downsample_type", List.of("conv", "conv", "conv", "conv")),
                flag(json, "encoder_causal", true));
    }

    /** Whether the decoder's mid block ({@code i} = 0) or up block {@code i − 1} injects noise, in decoder order. */
    public boolean injectsNoise(int i) {
        return reversed(decoderInjectNoise, i);
    }

    /** The number of decoder up blocks. */
    public int numUpBlocks() {
        return decoderBlockOutChannels.size();
    }

    /** Entry {@code i} of {@code list} read back to front, as LTXVideoDecoder3d's {@code tuple(reversed(...))[i]}. */
    public static <T> T reversed(List<T> list, int i) {
        return list.get(list.size() - 1 - i);
    }

    /** Output pixels per latent along H and W: patch_size·2^(up blocks that upsample). */
    public int decoderSpatialUpscale() {
        return patchSize << upsamplingBlocks();
    }

    /** Frames decoded from {@code latentFrames}: each upsampler doubles them and drops the first, so (F'−1)·2^k + 1. */
    public int decodedFrames(int latentFrames) {
        if (latentFrames <= 0) throw new IllegalArgumentException("latent frames must be positive, got " + latentFrames);
        return ((latentFrames - 1) << upsamplingBlocks()) + 1;
    }

    private int upsamplingBlocks() {
        int k = 0;
        for (int i = 0; i < numUpBlocks(); i++) if (reversed(decoderSpatioTemporalScaling, i)) k++;
        return k;
    }

    private static void positive(String name, int v) {
        if (v <= 0) throw new IllegalArgumentException("AutoencoderKLLTXVideo config: " + name + " must be positive, got " + v);
    }

    private static void atLeast(String name, int size, int needed, int blocks) {
        if (size < needed) {
            throw new IllegalArgumentException("AutoencoderKLLTXVideo config: " + name + " has " + size + " entries; "
                    + blocks + " decoder blocks need " + needed);
        }
    }

    private static JsonNode present(JsonNode json, String name) {
        JsonNode v = json.get(name);
        return v == null || v.isNull() ? null : v;
    }

    private static int integer(JsonNode json, String name, int absent) {
        JsonNode v = present(json, name);
        return v == null ? absent : asInt(v, name);
    }

    private static int asInt(JsonNode v, String name) {
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException("AutoencoderKLLTXVideo config: \"" + name + "\" must be an integer, got " + v);
        }
        return v.intValue();
    }

    private static double number(JsonNode json, String name, double absent) {
        JsonNode v = present(json, name);
        if (v == null) return absent;
        if (!v.isNumber()) throw new IllegalArgumentException("AutoencoderKLLTXVideo config: \"" + name + "\" must be a number, got " + v);
        return v.doubleValue();
    }

    private static boolean flag(JsonNode json, String name, boolean absent) {
        JsonNode v = present(json, name);
        if (v == null) return absent;
        if (!v.isBoolean()) throw new IllegalArgumentException("AutoencoderKLLTXVideo config: \"" + name + "\" must be true or false, got " + v);
        return v.booleanValue();
    }

    private static JsonNode list(JsonNode v, String name) {
        if (!v.isArray()) throw new IllegalArgumentException("AutoencoderKLLTXVideo config: \"" + name + "\" must be a list, got " + v);
        return v;
    }

    private static List<Integer> intList(JsonNode json, String name, List<Integer> absent) {
        JsonNode v = present(json, name);
        if (v == null) return absent;
        List<Integer> out = new ArrayList<>();
        for (JsonNode e : list(v, name)) out.add(asInt(e, name));
        return out;
    }

    private static List<String> stringList(JsonNode json, String name, List<String> absent) {
        JsonNode v = present(json, name);
        if (v == null) return absent;
        List<String> out = new ArrayList<>();
        for (JsonNode e : list(v, name)) {
            if (!e.isTextual()) throw new IllegalArgumentException("AutoencoderKLLTXVideo config: \"" + name + "\" entries must be strings, got " + e);
            out.add(e.textValue());
        }
        return out;
    }

    private static List<Boolean> boolList(JsonNode json, String name, List<Boolean> absent) {
        JsonNode v = present(json, name);
        if (v == null) return absent;
        List<Boolean> out = new ArrayList<>();
        for (JsonNode e : list(v, name)) {
            if (!e.isBoolean()) throw new IllegalArgumentException("AutoencoderKLLTXVideo config: \"" + name + "\" entries must be true or false, got " + e);
            out.add(e.booleanValue());
        }
        return out;
    }
}
