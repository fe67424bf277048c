package mmgp.graph.nn;

import mmgp.bindings.kernels.MmgpKernels;
import mmgp.graph.Graph;
import mmgp.graph.Numerics;
import mmgp.graph.Tensor;
import mmgp.tensor.GgmlType;

/**
 * mmgp's fused norm over the channel axis of videos [W, H, F, C·B] (PyTorch (B, C, F, H, W)):
 * per batch row and position, an RMS or layer norm over the C channels, an optional per-channel
 * affine, an optional per-(channel, batch row) modulation {@code y·(1 + scale) + shift} and an
 * optional SiLU, read and written in that layout ({@code mmgp_channel_norm}). ggml normalises along
 * ne0 only, so without it such a norm is two transposes (CONT) around ggml's norm plus one op per
 * step after it.
 *
 * <p>Callers keep ggml's composition under {@link Numerics#EXACT} and take this op where
 * {@link #fusedRoute} says so; its rounding differs from ggml's (sums in double, the affine and
 * modulation as one fma).
 */
public final class ChannelNorm {
    private ChannelNorm() {}

    /** The norm over the channels. */
    public enum Kind {
        /** x / sqrt(mean x² + eps), as RMSNorm without affine. */
        RMS,
        /** (x − mean) / sqrt(var + eps), biased variance, as nn.LayerNorm. */
        LAYER
    }

    /**
     * Whether {@code g}'s channel norms take the fused op: FAST numerics and the switch
     * {@code -Dmmgp.chnorm=fused|ggml} (env {@code MMGP_CHNORM}, read at every graph build), by
     * default fused where the kernels library has the op; {@code fused} with a library that
     * predates it is refused.
     */
    public static boolean fusedRoute(Graph g) {
        return FusedSwitch.on(g, "mmgp.chnorm", "MMGP_CHNORM", MmgpKernels.hasChannelNorm(), "channel norm");
    }

    /** Whether {@code x} is one the op reads: F32 with unit stride along W. */
    public static boolean fits(Tensor x) {
        return x.type() == GgmlType.F32 && x.nb(0) == 4;
    }

    /**
     * silu?((norm(x)·weight + bias)·(1 + scale) + shift) over the channels of x [W, H, F, C·B],
     * whatever the route switch says: {@code weight}, {@code bias} [C] (any type; null for 1 and 0),
     * {@code shift}, {@code scale} F32 or F16 [C, 1, B] or [C] (null for 0). Returns a contiguous
     * F32 tensor of x's shape.
     */
    public static Tensor apply(Graph g, Tensor x, int channels, Kind kind, float eps, Tensor weight, Tensor bias, Tensor shift, Tensor scale,
            boolean silu) {
        return fused(g, x, channels, eps, (kind == Kind.LAYER ? MmgpKernels.CHNORM_LAYER : 0) | (silu ? MmgpKernels.CHNORM_SILU : 0),
                weight, bias, shift, scale);
    }

    /** As {@link #apply} with the op's {@code MMGP_CHNORM_*} flags given directly (the plain C path for tests). */
    static Tensor fused(Graph g, Tensor x, int channels, float eps, int flags, Tensor weight, Tensor bias, Tensor shift, Tensor scale) {
        if (!fits(x)) throw new IllegalArgumentException("the channel norm reads F32 videos with unit stride along W, got " + x);
        if (channels < 1 || x.ne(3) % channels != 0) throw new IllegalArgumentException("a channel norm over " + channels + " channels cannot take " + x);
        if (!(eps >= 0)) throw new IllegalArgumentException("channel norm eps must be >= 0, got " + eps);
        long batch = x.ne(3) / channels;
        for (Tensor v : new Tensor[] {weight, bias}) {
            if (v != null && v.elements() != channels) throw new IllegalArgumentException("a channel norm's weight and bias have " + channels + " values, got " + v);
        }
        for (Tensor v : new Tensor[] {shift, scale}) {
            if (v != null && !modulationFits(v, channels, batch)) {
                throw new IllegalArgumentException("a channel norm's shift and scale are F32 or F16 [" + channels + ", 1, " + batch + "] or ["
                        + channels + "], got " + v);
            }
        }
        int[] params = {channels, Float.floatToRawIntBits(eps), flags, 0};
        g.reserveThreadScratch(2L * Float.BYTES * channels); // each thread's per-channel coefficients (mmgp_norm_body.h)
        return g.customOp("channel_norm_fused", GgmlType.F32, new long[] {x.ne(0), x.ne(1), x.ne(2), x.ne(3)}, MmgpKernels.channelNormFunction(), params,
                x, weight == null ? null : Vectors.contiguous(g, weight), bias == null ? null : Vectors.contiguous(g, bias), shift, scale);
    }

    private static boolean modulationFits(Tensor v, int channels, long batch) {
        return (v.type() == GgmlType.F32 || v.type() == GgmlType.F16) && v.ne(0) == channels && v.nb(0) == v.type().rowBytes(1) && v.ne(1) == 1
                && (v.ne(2) == 1 || v.ne(2) == batch) && v.ne(3) == 1;
    }
}
