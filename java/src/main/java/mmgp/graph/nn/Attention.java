package mmgp.graph.nn;

import mmgp.bindings.kernels.AttentionKernel;
import mmgp.graph.Graph;
import mmgp.graph.Numerics;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.tensor.GgmlType;

/**
 * Multi-head attention: the projection-level module (to_q / to_k / to_v / to_out, as diffusers'
 * Attention names them, optional RMS q/k norms over the whole inner width, optional rotary
 * position embedding) and, as static methods, the scaled-dot-product attention every model's
 * attention runs through ({@link #sdpa}). Layouts are ggml order: a sequence of T tokens of
 * width D for B items is [D, T, B].
 *
 * <p>Attention runs through {@link #sdpa}, which picks the kernel (ggml's fused flash attention or
 * the materialised fp32 composition, both holding the fp32 golden tests at 1e-4 under
 * {@link Numerics#EXACT}; mmgp's fused attention op under {@link Numerics#FAST}).
 *
 * @param normQ null for none; else applied to to_q's output (before the rotary embedding)
 * @param normK null for none; else applied to to_k's output
 * @param scale the factor of q·kᵀ: 1/√head_dim by default, 1 for T5
 */
public record Attention(Linear toQ, Linear toK, Linear toV, Linear toOut, RmsNorm normQ, RmsNorm normK, int heads, float scale) {
    /**
     * diffusers' Attention without extras under {@code name}: to_q (queryDim → heads·headDim),
     * to_k and to_v (crossDim → heads·headDim) with {@code bias}, to_out.0 (back to queryDim)
     * with {@code outBias}; scale 1/√headDim.
     */
    public static Attention load(WeightSet w, String name, int queryDim, int crossDim, int heads, int headDim, boolean bias, boolean outBias) {
        int inner = heads * headDim;
        return of(Linear.load(w, name + ".to_q", queryDim, inner, bias),
                Linear.load(w, name + ".to_k", crossDim, inner, bias),
                Linear.load(w, name + ".to_v", crossDim, inner, bias),
                Linear.load(w, name + ".to_out.0", inner, queryDim, outBias),
                heads);
    }

    /** Projections named otherwise (CLIP's q_proj…, T5's q…), scale 1/√head_dim with head_dim = to_q's width / heads. */
    public static Attention of(Linear toQ, Linear toK, Linear toV, Linear toOut, int heads) {
        return new Attention(toQ, toK, toV, toOut, null, null, heads, defaultScale(toQ.weight().ne(1) / heads));
    }

    /** The same projections with RMS norms on q and on k (diffusers' qk_norm="rms_norm_across_heads"). */
    public Attention withQkNorm(RmsNorm normQ, RmsNorm normK) {
        return new Attention(toQ, toK, toV, toOut, normQ, normK, heads, scale);
    }

    /** The same projections with another score scale (T5 folds 1/√d into its initialisation: 1). */
    public Attention withScale(float scale) {
        return new Attention(toQ, toK, toV, toOut, normQ, normK, heads, scale);
    }

    /** x [Dq, Tq, B] attending to context [Dc, Tk, B] (x itself for self-attention) → [Dq, Tq, B]. */
    public Tensor forward(Graph g, Tensor x, Tensor context) {
        return forward(g, x, context, null, null, null, null);
    }

    /** As {@link #forward(Graph, Tensor, Tensor)} with an additive mask (see {@link #sdpa}). */
    public Tensor forward(Graph g, Tensor x, Tensor context, Tensor mask) {
        return forward(g, x, context, null, null, null, mask);
    }

    /**
     * The full form: q = norm_q(to_q(x)), k = norm_k(to_k(context)), v = to_v(context); with
     * {@code ropeCos}/{@code ropeSin} ([inner, T], self-attention only: the same table rotates
     * q and k) both get {@link Graph#rotaryInterleaved}; then {@link #sdpa} with this module's
     * scale, {@code bias} and {@code mask}, and to_out.
     */
    public Tensor forward(Graph g, Tensor x, Tensor context, Tensor ropeCos, Tensor ropeSin, Tensor bias, Tensor mask) {
        Tensor q = toQ.forward(g, x), k = toK.forward(g, context), v = toV.forward(g, context);
        if (normQ != null) q = normQ.forward(g, q);
        if (normK != null) k = normK.forward(g, k);
        if (ropeCos != null) {
            q = g.rotaryInterleaved(q, ropeCos, ropeSin);
            k = g.rotaryInterleaved(k, ropeCos, ropeSin);
        }
        return toOut.forward(g, sdpa(g, q, k, v, heads, scale, bias, mask));
    }

    /** 1/√headDim as a float, the default score scale. */
    public static float defaultScale(long headDim) {
        return (float) (1.0 / Math.sqrt(headDim));
    }

    /**
     * softmax(q·kᵀ/√head_dim + mask)·v per head: {@link #sdpa} with the default scale and no bias.
     * q [D, Tq, B], k and v [D, Tk, B] with D = heads·headDim (already projected); mask is an
     * additive F32 [Tk, Tq] (broadcast over heads and batch) or [Tk, Tq, 1, B] tensor, or null.
     * Returns [D, Tq, B] with heads concatenated as PyTorch's reshape does.
     */
    public static Tensor multiHead(Graph g, Tensor q, Tensor k, Tensor v, int heads, Tensor mask) {
        if (q.ne(0) % heads != 0) throw new IllegalArgumentException("width " + q.ne(0) + " is not divisible by " + heads + " heads");
        return sdpa(g, q, k, v, heads, defaultScale(q.ne(0) / heads), null, mask);
    }

    /**
     * Scaled-dot-product attention, softmax(scale·q·kᵀ + bias + mask)·v per head — the one place
     * where attention is built, and so the route point for its kernel:
     * <ul>
     *   <li>Under {@link Numerics#FAST}, mmgp's fused attention op ({@code mmgp_attention}: fp32
     *       scores by FMA register tiles, an online softmax in fp32, P·V accumulated in fp32; bias
     *       and mask added in F32) where the kernels library has it with its SIMD path (AVX2 + FMA),
     *       for every shape; its rounding
     *       differs from ggml's kernels, so EXACT keeps those. {@code -Dmmgp.attention=mmgp|ggml}
     *       (env {@code MMGP_ATTENTION}, read at every graph build) picks the route under FAST, to
     *       compare the two in one JVM; {@code mmgp} takes the op even on its plain C path (far slower than
     *       ggml's flash attention), and with a library that predates the op is refused.</li>
     *   <li>Otherwise ggml's fused flash attention with F32 K and V (fp32 dot products, an fp32 accumulator
     *       and an online softmax: the same arithmetic in another order, within the fp32 goldens),
     *       whenever there is no per-head {@code bias}. Measured 2.6–3.2× faster than the
     *       materialised scores at the models' shapes (bench/results, AttentionBench); masks hold
     *       only 0, −∞ or −10000 and are exact in the F16 the kernel reads.</li>
     *   <li>With a per-head {@code bias} (T5's position bias): on FAST's ggml route the same
     *       flash kernel with bias + mask rounded to F16 (an error the README states; a per-item
     *       mask that cannot fold with the bias takes the materialised composition); under
     *       {@link Numerics#EXACT} the materialised fp32 composition — two mul_mats around a
     *       soft_max, q and k made contiguous so the matmul takes ggml's tiled GEMM.</li>
     * </ul>
     *
     * @param q     [D, Tq, B] with D = heads·headDim
     * @param k     [D, Tk, B]
     * @param v     [D, Tk, B]
     * @param bias  additive F32 per-head scores [Tk, Tq, H] (broadcast over B) or [Tk, Tq, H, B], or null (T5's position bias)
     * @param mask  additive F32 [Tk, Tq] or [Tk, Tq, 1, B] (broadcast over heads), or null
     * @return [D, Tq, B], heads concatenated as PyTorch's reshape does
     */
    public static Tensor sdpa(Graph g, Tensor q, Tensor k, Tensor v, int heads, float scale, Tensor bias, Tensor mask) {
        long d = q.ne(0), tq = q.ne(1), tk = k.ne(1);
        if (d % heads != 0) throw new IllegalArgumentException("width " + d + " is not divisible by " + heads + " heads");
        // The flash kernel reads a mask row per query and a column per key without checking its shape.
        if (mask != null && (mask.ne(0) != tk || mask.ne(1) < tq || mask.ne(2) != 1)) {
            throw new IllegalArgumentException("attention mask " + mask + " must be [" + tk + " keys, " + tq + " queries, 1, 1 or batch]");
        }
        if (bias != null && (bias.ne(0) != tk || bias.ne(1) < tq || bias.ne(2) != heads)) {
            throw new IllegalArgumentException("attention bias " + bias + " must be [" + tk + " keys, " + tq + " queries, " + heads + " heads, 1 or batch]");
        }
        if (fusedRoute(g) && fusable(q, k, v, bias, mask)) return fused(g, q, k, v, heads, scale, bias, mask, 0);
        boolean foldable = bias == null || mask == null || mask.ne(3) == 1; // bias + mask must broadcast into one tensor
        if (bias == null || (g.backend().numerics() == Numerics.FAST && foldable)) return flash(g, q, k, v, heads, scale, bias, mask);
        return materialised(g, q, k, v, heads, scale, bias, mask);
    }

    /**
     * Whether {@code g}'s attention takes mmgp's fused op: FAST numerics and the switch
     * {@code -Dmmgp.attention=mmgp|ggml} (env {@code MMGP_ATTENTION}), by default mmgp where the
     * kernels library has the op with its SIMD path ({@link #defaultsToFused}); {@code mmgp} takes
     * the op whatever its path.
     */
    public static boolean fusedRoute(Graph g) {
        boolean available = AttentionKernel.available();
        return FusedSwitch.on(g, "mmgp.attention", "MMGP_ATTENTION", "mmgp", available, available && defaultsToFused(AttentionKernel.path()), "attention");
    }

    /**
     * Whether the op with instruction path {@code path} ({@link AttentionKernel#path}) is the default
     * route: only its SIMD path, since the plain C one (a scalar chain per score) is far slower than
     * ggml's flash attention.
     */
    static boolean defaultsToFused(String path) {
        return !path.equals(AttentionKernel.PLAIN_PATH);
    }

    /** What the fused op reads: F32 operands with contiguous rows, q, k and v 3-D, a batch-broadcast or per-item bias and mask. */
    private static boolean fusable(Tensor q, Tensor k, Tensor v, Tensor bias, Tensor mask) {
        for (Tensor t : new Tensor[] {q, k, v, bias, mask}) {
            if (t != null && (t.type() != GgmlType.F32 || t.nb(0) != 4)) return false;
        }
        long b = q.ne(2);
        return q.ne(3) == 1 && k.ne(3) == 1 && v.ne(3) == 1 && k.ne(2) == b && v.ne(2) == b && v.ne(1) == k.ne(1) && k.ne(0) == q.ne(0) && v.ne(0) == q.ne(0)
                && (bias == null || bias.ne(3) == 1 || bias.ne(3) == b) && (mask == null || mask.ne(3) == 1 || mask.ne(3) == b);
    }

    /**
     * mmgp's fused attention op on q [D, Tq, B], k and v [D, Tk, B] (F32, contiguous rows), bias and
     * mask as {@link #sdpa} takes them, whatever the route switch says (for tests); {@code flags} adds
     * {@link AttentionKernel#PORTABLE}. Returns contiguous [D, Tq, B]. Public for the route benchmarks.
     */
    public static Tensor fused(Graph g, Tensor q, Tensor k, Tensor v, int heads, float scale, Tensor bias, Tensor mask, int flags) {
        int f = flags | (bias != null ? AttentionKernel.BIAS : 0) | (mask != null ? AttentionKernel.MASK : 0);
        int[] params = {heads, Float.floatToRawIntBits(scale), f, 0, 0, 0, 0, 0}; // the last four: the op's scheduler state, zero
        g.reserveThreadScratch(AttentionKernel.threadBytes(k.ne(1), q.ne(0) / heads)); // each thread's packed Q, scores, O, K and V
        Tensor[] srcs = bias != null && mask != null ? new Tensor[] {q, k, v, bias, mask}
                : bias != null ? new Tensor[] {q, k, v, bias} : mask != null ? new Tensor[] {q, k, v, mask} : new Tensor[] {q, k, v};
        return g.customOp("attention_fused", GgmlType.F32, new long[] {q.ne(0), q.ne(1), q.ne(2), 1}, AttentionKernel.function(), params, srcs);
    }

    /** ggml_flash_attn_ext with F32 K/V; bias and mask folded into its F16 mask operand. */
    static Tensor flash(Graph g, Tensor q, Tensor k, Tensor v, int heads, float scale, Tensor bias, Tensor mask) {
        return flash(g, q, k, v, heads, scale, bias, mask, GgmlType.F32);
    }

    /**
     * ggml_flash_attn_ext with K and V as {@code kv} (F32, or F16 cast in the graph, where ggml's
     * kernel rounds q to F16 for the dot products); bias and mask folded into its F16 mask operand.
     * Public for the route benchmarks; {@link #sdpa} picks the route.
     */
    public static Tensor flash(Graph g, Tensor q, Tensor k, Tensor v, int heads, float scale, Tensor bias, Tensor mask, GgmlType kv) {
        long d = q.ne(0), tq = q.ne(1), tk = k.ne(1), b = q.ne(2), hd = d / heads;
        Tensor q4 = g.permute(g.reshape(q, hd, heads, tq, b), 0, 2, 1, 3); // [hd, Tq, H, B]
        Tensor k4 = g.permute(g.reshape(k, hd, heads, tk, b), 0, 2, 1, 3); // [hd, Tk, H, B]
        Tensor v4 = g.permute(g.reshape(v, hd, heads, tk, b), 0, 2, 1, 3); // [hd, Tk, H, B]
        if (kv != GgmlType.F32) {
            k4 = g.cast(k4, kv);
            v4 = g.cast(v4, kv);
        }
        Tensor additive = bias == null ? mask : mask == null ? bias : g.add(bias, mask); // [Tk, Tq, 1|H, 1|B]
        Tensor m16 = additive == null ? null : g.cast(additive, GgmlType.F16);
        Tensor out = g.flashAttention(q4, k4, v4, m16, scale);             // [hd, H, Tq, B]
        return g.reshape(out, d, tq, b);                                    // [D, Tq, B]
    }

    /** The materialised fp32 composition: scores, soft_max (with bias and mask), weighted sum (public for the route benchmarks). */
    public static Tensor materialised(Graph g, Tensor q, Tensor k, Tensor v, int heads, float scale, Tensor bias, Tensor mask) {
        long d = q.ne(0), tq = q.ne(1), tk = k.ne(1), b = q.ne(2), hd = d / heads;
        // Contiguous q and k let ggml's mul_mat take its tiled GEMM instead of per-row dot products.
        Tensor q4 = g.cont(g.permute(g.reshape(q, hd, heads, tq, b), 0, 2, 1, 3)); // [hd, Tq, H, B]
        Tensor k4 = g.cont(g.permute(g.reshape(k, hd, heads, tk, b), 0, 2, 1, 3)); // [hd, Tk, H, B]
        Tensor vt = g.cont(g.permute(g.reshape(v, hd, heads, tk, b), 1, 2, 0, 3)); // [Tk, hd, H, B]
        Tensor scores = g.mulMat(k4, q4);                                          // [Tk, Tq, H, B]
        Tensor probs;
        if (bias == null || mask == null) {
            // soft_max computes scale·scores + its mask operand, so one additive term rides along free.
            probs = g.softMax(scores, bias != null ? bias : mask, scale);
        } else {
            // The per-head bias is added first; the mask then broadcasts over heads.
            Tensor scaled = scale == 1f ? scores : g.scale(scores, scale);
            probs = g.softMax(g.add(scaled, bias), mask, 1f);
        }
        Tensor out = g.mulMat(vt, probs);                                          // [hd, Tq, H, B]
        return g.reshape(g.cont(g.permute(out, 0, 2, 1, 3)), d, tq, b);            // [D, Tq, B]
    }

    /** An input holding the causal mask for T tokens: 0 on and below the diagonal, −∞ above. */
    public static Tensor causalMask(Graph g, String name, int t) {
        Tensor mask = g.input(name, GgmlType.F32, t, t);
        float[] m = new float[t * t];
        for (int row = 0; row < t; row++)
            for (int col = row + 1; col < t; col++) m[row * t + col] = Float.NEGATIVE_INFINITY;
        g.set(mask, m);
        return mask;
    }
}
