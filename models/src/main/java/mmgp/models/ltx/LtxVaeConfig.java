package mmgp.models.ltx;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import mmgp.models.ConfigReader;

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
        ConfigReader cfg = ConfigReader.forClass("AutoencoderKLLTXVideo", json);
        List<Boolean> scaling = cfg.optionalBooleanList("spatio_temporal_scaling", List.of(true, true, true, false));
        int patch = cfg.optionalInt("patch_size", 4);
        int patchT = cfg.optionalInt("patch_size_t", 1);
        int scaled = 0;
        for (boolean s : scaling) if (s) scaled++;
        return new LtxVaeConfig(
                cfg.optionalInt("latent_channels", 128),
                cfg.optionalInt("out_channels", 3),
                scaling,
                cfg.optionalIntList("decoder_block_out_channels", List.of(128, 256, 512, 512)),
                cfg.optionalIntList("decoder_layers_per_block", List.of(4, 3, 3, 3, 4)),
                cfg.optionalBooleanList("decoder_spatio_temporal_scaling", List.of(true, true, true, false)),
                cfg.optionalBooleanList("decoder_inject_noise", List.of(false, false, false, false, false)),
                cfg.optionalBooleanList("upsample_residual", List.of(false, false, false, false)),
                cfg.optionalIntList("upsample_factor", List.of(1, 1, 1, 1)),
                cfg.optionalBoolean("timestep_conditioning", false),
                patch,
                patchT,
                cfg.optionalNumber("resnet_norm_eps", 1e-6),
                cfg.optionalNumber("scaling_factor", 1.0),
                cfg.optionalBoolean("decoder_causal", false),
                cfg.optionalInt("spatial_compression_ratio", patch << scaled),
                cfg.optionalInt("temporal_compression_ratio", patchT << scaled),
                cfg.optionalInt("in_channels", 3),
                cfg.optionalIntList("block_out_channels", List.of(128, 256, 512, 512)),
                cfg.optionalIntList("layers_per_block", List.of(4, 3, 3, 3, 4)),
                cfg.optionalTextList("down_block_types", List.of("LTXVideoDownBlock3D", "LTXVideoDownBlock3D", "LTXVideoDownBlock3D", "LTXVideoDownBlock3D")),
                cfg.optionalTextList("downsample_type", List.of("conv", "conv", "conv", "conv")),
                cfg.optionalBoolean("encoder_causal", true));
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
}
