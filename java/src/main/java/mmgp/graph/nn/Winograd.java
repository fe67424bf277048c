package mmgp.graph.nn;

import java.util.List;
import java.util.Locale;
import mmgp.bindings.kernels.MmgpKernels;
import mmgp.graph.Graph;
import mmgp.graph.Numerics;
import mmgp.graph.Tensor;
import mmgp.tensor.GgmlType;

/**
 * The Winograd route of 3×3, stride-1 convolutions with zero padding (any padding whose output is
 * at least 1×1) under {@link Numerics#FAST}: F(m×m, 3×3) computes each m×m output tile from its
 * (m+2)×(m+2) input patch with (m+2)² products per channel pair instead of 9m², i.e. (m+2)² = T²
 * independent [IC]·[IC, OC] matrix products over all tiles. Three transforms are mmgp's C kernels
 * ({@code mmgp_winograd.c}, ggml custom ops); the products are ggml's mul_mat through
 * {@link MatMul#apply} (U is 3-D, so {@code MMGP_F32GEMM=mmgp} does not reach them: they are
 * always ggml's):
 * <ol>
 *   <li>{@link #weights}: U = G g Gᵀ per channel pair, {IC, OC, T², taps}, built inside the graph,
 *       so it lives in the compute buffer only while its convolution runs;</li>
 *   <li>{@link #input}: V = Bᵀ d B per tile, {IC, tiles, frames·batch, T²}, T²·IC values per m²
 *       output positions where the im2col unfolds 9·IC per position;</li>
 *   <li>the products M = U × V ({@link #product}: {OC, tiles, n, T²}, one GEMM per position t over
 *       all tiles and frames), then {@link #output}: Y = Aᵀ (Σ M) A, cropped to the output size. A
 *       3-D convolution's time taps each multiply the frames they read once ({@link #tapFrames},
 *       {@link #frames}) and the output transform sums them at their frame offsets
 *       ({@link #outputVideo}; the transform is linear).</li>
 * </ol>
 *
 * <p>The fused op ({@link Config#fused}, the default with F32 operands: {@link #fusedRoute}) does the
 * three steps in one custom op ({@code mmgp_winograd_fused}): per block of tiles it transforms the
 * input into a thread buffer, multiplies by U with register tiles of its own (U packed by
 * {@link #weights}) and writes the output transform plus the convolution's bias, so V, M and the
 * bias add never reach the graph ({@link #conv2d} with a bias, {@link #fusedVideo}). Its sums run in
 * a fixed order, so its bits do not depend on threads, blocks or batch; they differ from the
 * three ops' (ggml's products sum in another order) by rounding.
 *
 * <p>Batch invariance: every transform is per tile, and U, the products' first operand, is fixed
 * per convolution. Whether ggml takes tinyBLAS or its dot products depends on U's shape (IC a
 * multiple of the SIMD width, OC of 4) and on the product's column count (tiles, frames, clips):
 * tinyBLAS declines fewer than 4 columns with NEON F32 and fewer than 8 with Arm FP16 (one on
 * x86). The route takes only images and frames of at least 8 tiles ({@link #fits}), so the column
 * count never falls below what tinyBLAS takes on any CPU and the path depends on the weights
 * alone; either way an element's sum does not depend on how many columns the product has. A
 * request alone and in a batch keeps its bits.
 *
 * <p>The route and its parameters are switches read at every graph build, so a test or a benchmark
 * can compare them in one JVM: {@code -Dmmgp.conv=winograd|im2col} (env {@code MMGP_CONV}),
 * {@code -Dmmgp.winograd.tile=2|4} ({@code MMGP_WINOGRAD_TILE}) and
 * {@code -Dmmgp.winograd.type=f16|f32} ({@code MMGP_WINOGRAD_TYPE}, the type of U and V and so of
 * the products' operands), {@code -Dmmgp.winograd.fused=on|off} ({@code MMGP_WINOGRAD_FUSED}) and
 * {@code -Dmmgp.winograd.block=N} ({@code MMGP_WINOGRAD_BLOCK}, the fused op's tiles per block). The defaults were chosen by measuring error against the fp32 goldens
 * and speed on the decoders (README, Performance): m = 4 with F32 operands. F32 keeps the route
 * more precise than the im2col's F16 patches, and its 4× fewer products outweigh the F32 GEMM
 * being slower than ggml's F16 one; F16 operands with m = 4 amplify the half rounding past the
 * fast route's error bound on the LTX VAE, and m = 2 saves fewer FLOPs and moves more bytes per
 * output.
 */
public final class Winograd {
    private Winograd() {}

    /**
     * The tile size m (2 or 4), the type of U and V (F16 or F32), whether the transforms take
     * their plain C path ({@link MmgpKernels#WINOGRAD_PORTABLE}: the only one on CPUs without AVX,
     * so tests compare it with the SIMD path; never chosen by {@link #route}), and whether the
     * convolutions take the fused op ({@link #fusedRoute}: one op from the input to the output
     * plus bias, U packed and F32, V and M in thread buffers).
     */
    public record Config(int tile, GgmlType type, boolean portable, boolean fused) {
        public Config(int tile, GgmlType type) {
            this(tile, type, false, false);
        }

        public Config(int tile, GgmlType type, boolean portable) {
            this(tile, type, portable, false);
        }

        public Config {
            if (tile != 2 && tile != 4) throw new IllegalArgumentException("Winograd tile must be 2 or 4, got " + tile);
            if (type != GgmlType.F16 && type != GgmlType.F32) throw new IllegalArgumentException("Winograd operands must be F16 or F32, got " + type);
            if (fused && type != GgmlType.F32) throw new IllegalArgumentException("the fused Winograd op multiplies F32 operands, not " + type);
        }

        /** This configuration on the fused op or off it. */
        public Config withFused(boolean on) {
            return new Config(tile, type, portable, on);
        }

        /** T = m + 2, the side of a transformed block. */
        public int side() {
            return tile + 2;
        }

        /** Tiles of an OW×OH output: ceil(OW/m)·ceil(OH/m). */
        public long tiles(long ow, long oh) {
            return Math.ceilDiv(ow, tile) * Math.ceilDiv(oh, tile);
        }
    }

    /**
     * The route's configuration for {@code g}'s convolutions (images, and the time taps of 3-D
     * ones), or null when they take the im2col: EXACT numerics, {@code mmgp.conv=im2col}, or the
     * kernels library missing. Reads the switches.
     */
    public static Config route(Graph g) {
        if (g.backend().numerics() != Numerics.FAST || !MmgpKernels.isAvailable()) return null;
        String route = setting("mmgp.conv", "MMGP_CONV", "winograd", "winograd", "im2col");
        if (route.equals("im2col")) return null;
        int tile = Integer.parseInt(setting("mmgp.winograd.tile", "MMGP_WINOGRAD_TILE", "4", "2", "4"));
        GgmlType type = setting("mmgp.winograd.type", "MMGP_WINOGRAD_TYPE", "f32", "f16", "f32").equals("f16") ? GgmlType.F16 : GgmlType.F32;
        return new Config(tile, type, false, fusedRoute(type));
    }

    /**
     * Whether the convolutions take the fused op ({@link #conv2d} with a fused {@link Config}, {@link #fusedVideo}):
     * {@code -Dmmgp.winograd.fused=on|off} (env {@code MMGP_WINOGRAD_FUSED}), by default on where
     * the kernels library has the op and the operands are F32 (it was the faster on the decoders,
     * README Performance). {@code on} with F16 operands, or with a library that predates the op, is
     * refused rather than quietly ignored.
     */
    static boolean fusedRoute(GgmlType type) {
        String value = setting("mmgp.winograd.fused", "MMGP_WINOGRAD_FUSED", "", "on", "off"); // "": not set
        if (value.isEmpty()) return FUSED_BY_DEFAULT && type == GgmlType.F32 && MmgpKernels.hasWinogradFused();
        if (value.equals("off")) return false;
        if (type != GgmlType.F32) {
            throw new IllegalArgumentException("the fused Winograd op (mmgp.winograd.fused / MMGP_WINOGRAD_FUSED=on) multiplies F32 operands;"
                    + " it cannot take mmgp.winograd.type / MMGP_WINOGRAD_TYPE=f16");
        }
        if (!MmgpKernels.hasWinogradFused()) {
            throw new IllegalStateException("mmgp.winograd.fused / MMGP_WINOGRAD_FUSED=on, but the kernels library in " + MmgpKernels.directory()
                    + " predates the fused op: rebuild with native/build-native.sh");
        }
        return true;
    }

    /** Whether {@link #fusedRoute} is on when its switch is not set (where the operands and the library allow). */
    private static final boolean FUSED_BY_DEFAULT = true;

    /**
     * Whether an image convolution of this kernel (spatial axes 0 and 1) over this input takes the
     * route: the transforms compute it ({@link #fits}: a 3×3 F16/F32 kernel, stride 1 and equal
     * zero padding along W and H, an F32 input with contiguous rows, an output of at least 1×1) and
     * the output is large enough ({@link #worthIt}).
     */
    public static boolean handles(Tensor kernel, Tensor input, int strideW, int strideH, int padW, int padH) {
        return fits(kernel, input, strideW, strideH, padW, padH) && worthIt(input.ne(0) + 2L * padW - 2, input.ne(1) + 2L * padH - 2);
    }

    /**
     * Whether the route pays for itself at this output size per image or frame: U is built at
     * every graph build, about as much work per channel pair as the products save over a few
     * hundred output positions, and the edge tiles of a small image compute columns and rows that
     * are cropped, so small images (the decoders' lowest resolutions) keep the im2col. Never
     * counted per batch, so a request takes the same route alone and in a batch.
     */
    public static boolean worthIt(long ow, long oh) {
        return ow * oh >= minPositions();
    }

    /**
     * Output positions per image or frame from which a convolution takes the route: 32×32, or
     * {@code -Dmmgp.winograd.minPositions=N} (env {@code MMGP_WINOGRAD_MIN_POSITIONS}; read at
     * every graph build; 0 sends every convolution the transforms fit down the route).
     */
    public static long minPositions() {
        return count("mmgp.winograd.minPositions", "MMGP_WINOGRAD_MIN_POSITIONS", 32 * 32, "a count of output positions");
    }

    /**
     * Tiles per work item of the fused op, {@code -Dmmgp.winograd.block=N} (env
     * {@code MMGP_WINOGRAD_BLOCK}; read at every graph build); 0, the default, lets the kernel size
     * the blocks to the channel counts (mmgp_kernels.h). At most {@link #MAX_BLOCK}; the kernel
     * further caps a block so a thread's buffers stay within 64 MB. The bits do not depend on it.
     */
    public static int block() {
        long n = count("mmgp.winograd.block", "MMGP_WINOGRAD_BLOCK", 0, "a count of tiles");
        if (n > MAX_BLOCK) {
            throw new IllegalArgumentException("mmgp.winograd.block / MMGP_WINOGRAD_BLOCK=" + n + " is more than " + MAX_BLOCK
                    + " tiles per block (each thread of the fused Winograd op holds a block's transforms)");
        }
        return (int) n;
    }

    /** The most tiles per block {@link #block} takes. */
    public static final int MAX_BLOCK = 4096;

    /**
     * Bytes each thread of the fused op over an OW×OH output of these channel counts mallocs while it
     * runs, outside the compute buffer: V and M of a block of tiles and a tile row's input rows, for
     * the block the kernel starts from (the default or {@link #block}, capped; it only shrinks from
     * there, by an equal split that depends on the threads and the batch), so an upper bound of what
     * a thread takes: exact for an asked block, up to a few times too high for the default on small
     * images. The kernels library computes it from the code that sizes the allocation
     * ({@code mmgp_winograd_fused_thread_bytes}).
     */
    public static long fusedThreadBytes(Config c, long inChannels, long outChannels, long ow, long oh) {
        return MmgpKernels.winogradFusedThreadBytes(c.tile(), inChannels, outChannels, ow, oh, block());
    }

    /** A count switch: the system property, else the environment variable, else {@code fallback}; not an integer ≥ 0 is refused. */
    private static long count(String property, String variable, long fallback, String what) {
        String p = System.getProperty(property);
        boolean fromProperty = p != null && !p.isBlank();
        String v = fromProperty ? p : System.getenv(variable);
        if (v == null || v.isBlank()) return fallback;
        try {
            long n = Long.parseLong(v.strip());
            if (n >= 0) return n;
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IllegalArgumentException((fromProperty ? "-D" + property : variable) + "=" + v + " is not " + what + " (an integer ≥ 0)");
    }

    /** The fewest 4×4 tiles per image or frame the route takes (see {@link #fits}). */
    public static final int MIN_TILES = 8;

    /** {@link #handles} without the size threshold: what the route computes (at least {@link #MIN_TILES} tiles, see the body). */
    public static boolean fits(Tensor kernel, Tensor input, int strideW, int strideH, int padW, int padH) {
        long ow = input.ne(0) + 2L * padW - 2, oh = input.ne(1) + 2L * padH - 2;
        return computes(kernel, input, strideW, strideH, padW, padH)
                // ggml's tinyBLAS declines a product of few columns (one on x86, fewer than 4 with
                // NEON F32, fewer than 8 with Arm FP16) and its dot products round differently: an
                // image or frame of fewer tiles alone would not give the bits it gives next to
                // another request's in a batch. Counted in 4×4 tiles, so 2×2 tiles are more.
                && Math.ceilDiv(ow, 4) * Math.ceilDiv(oh, 4) >= MIN_TILES;
    }

    /**
     * Whether the transforms compute this convolution at all: a 3×3 F16/F32 kernel, stride 1 and
     * equal zero padding along W and H, an F32 input with contiguous rows, an output of at least 1×1.
     */
    private static boolean computes(Tensor kernel, Tensor input, int strideW, int strideH, int padW, int padH) {
        return kernel.ne(0) == 3 && kernel.ne(1) == 3 && (kernel.type() == GgmlType.F16 || kernel.type() == GgmlType.F32)
                && strideW == 1 && strideH == 1 && padW == padH && padW >= 0
                && input.type() == GgmlType.F32 && input.nb(0) == 4
                && input.ne(0) + 2L * padW >= 3 && input.ne(1) + 2L * padH >= 3;
    }

    /**
     * nn.Conv2d without bias by Winograd: kernel [3, 3, IC, OC], input [W, H, IC, B] → [OW, OH,
     * OC, B]. Any shape the transforms compute, also below {@link #MIN_TILES}: the layers route
     * through {@link #handles}, which keeps the batch invariance.
     */
    public static Tensor conv2d(Graph g, Tensor kernel, Tensor input, int padding, Config c) {
        return conv2d(g, kernel, null, input, padding, c);
    }

    /**
     * nn.Conv2d by Winograd with {@code bias} [OC] (or none, null) added: on the fused op
     * ({@link Config#fused}) the bias is added by it, else by a ggml add after the output transform.
     */
    public static Tensor conv2d(Graph g, Tensor kernel, Tensor bias, Tensor input, int padding, Config c) {
        if (!computes(kernel, input, 1, 1, padding, padding) || kernel.ne(2) != input.ne(2)) {
            throw new IllegalArgumentException("Winograd conv2d cannot compute kernel " + kernel + " over " + input + " with padding " + padding);
        }
        long ow = input.ne(0) + 2L * padding - 2, oh = input.ne(1) + 2L * padding - 2;
        Tensor u = weights(g, kernel, c);                                 // {IC, OC, T², 1}, packed when fused
        if (c.fused()) {
            g.reserveThreadScratch(fusedThreadBytes(c, kernel.ne(2), kernel.ne(3), ow, oh));
            return g.customOp("winograd_fused", GgmlType.F32, new long[] {ow, oh, kernel.ne(3), input.ne(3)}, MmgpKernels.winogradFusedFunction(),
                    fusedParams(c, padding, false, 0), fusedSources(g, input, u, bias, kernel.ne(3)));
        }
        Tensor v = input(g, input, (int) input.ne(2), padding, false, c); // {IC, tiles, B, T²}
        Tensor y = output(g, List.of(product(g, u, 0, v)), ow, oh, c);   // [OW, OH, OC, B]
        return bias == null ? y : g.add(y, Vectors.perChannel(g, bias, 2));
    }

    /**
     * A 3-D convolution's time taps by the fused op: U packed ({@link #weights3d} of a fused
     * {@code c}) of {@code outChannels}, a video {@code x} [W, H, F, IC·clips] → [OW, OH, count,
     * OC·clips] plus {@code bias} [OC] (or none, null), output frame o of clip b summing tap dt over
     * the clip's input frame clamp(first + o + dt, 0, F − 1) (clamping repeats the edge frames).
     */
    public static Tensor fusedVideo(Graph g, Tensor u, int outChannels, Tensor bias, Tensor x, int inChannels, int padding, long first, long count,
            Config c) {
        if (!c.fused()) throw new IllegalArgumentException("Winograd fusedVideo needs a fused configuration, got " + c);
        if (x.type() != GgmlType.F32 || x.nb(0) != 4) throw new IllegalArgumentException("Winograd input must be F32 with contiguous rows, got " + x);
        clips(x, inChannels, count);
        if (u.ne(0) != 16L * inChannels || u.ne(1) != Math.ceilDiv(outChannels, 16) || u.ne(2) != (long) c.side() * c.side()) {
            throw new IllegalArgumentException("Winograd U " + u + " is not packed for " + inChannels + " → " + outChannels + " channels");
        }
        long ow = x.ne(0) + 2L * padding - 2, oh = x.ne(1) + 2L * padding - 2;
        if (padding < 0 || ow < 1 || oh < 1) throw new IllegalArgumentException("Winograd input " + x + " is smaller than a 3×3 kernel with padding " + padding);
        g.reserveThreadScratch(fusedThreadBytes(c, inChannels, outChannels, ow, oh));
        return g.customOp("winograd_fused", GgmlType.F32, new long[] {ow, oh, count, outChannels * (x.ne(3) / inChannels)},
                MmgpKernels.winogradFusedFunction(), fusedParams(c, padding, true, Math.toIntExact(first)), fusedSources(g, x, u, bias, outChannels));
    }

    /**
     * The clips of a video {@code x} [W, H, F, IC·clips] of {@code inChannels} channels
     * convolved into {@code count} output frames: refused unless the channels divide ne[3] and at
     * least one frame is asked for.
     */
    public static long clips(Tensor x, int inChannels, long count) {
        if (inChannels <= 0 || x.ne(3) % inChannels != 0) throw new IllegalArgumentException("conv3d: " + x + " does not hold " + inChannels + "-channel clips");
        if (count < 1) throw new IllegalArgumentException("conv3d: the output needs at least one frame, got " + count);
        return x.ne(3) / inChannels;
    }

    /** {x, U} or {x, U, bias}: the bias as the op takes it, a contiguous F32/F16 [OC]. */
    private static Tensor[] fusedSources(Graph g, Tensor x, Tensor u, Tensor bias, long outChannels) {
        if (bias == null) return new Tensor[] {x, u};
        if (bias.elements() != outChannels) throw new IllegalArgumentException("conv bias " + bias + " does not hold " + outChannels + " channels");
        return new Tensor[] {x, u, Vectors.contiguous(g, bias)};
    }

    /** U = G g Gᵀ of a 2-D kernel [3, 3, IC, OC] → {IC, OC, T², 1} (packed {16·IC, ⌈OC/16⌉, T², 1} when {@code c} is fused). */
    public static Tensor weights(Graph g, Tensor kernel, Config c) {
        return weights(g, kernel, (int) kernel.ne(2), false, c);
    }

    /** {@link #weights} of a 3-D kernel [3, 3, KD, IC·OC] of {@code inChannels} input channels → {IC, OC, T², KD} (packed when fused). */
    public static Tensor weights3d(Graph g, Tensor kernel, int inChannels, Config c) {
        if (inChannels <= 0 || kernel.ne(3) % inChannels != 0) {
            throw new IllegalArgumentException("Winograd: kernel " + kernel + " does not hold " + inChannels + "-channel filters");
        }
        return weights(g, kernel, inChannels, true, c);
    }

    private static Tensor weights(Graph g, Tensor kernel, int inChannels, boolean video, Config c) {
        if (kernel.ne(0) != 3 || kernel.ne(1) != 3 || (kernel.type() != GgmlType.F16 && kernel.type() != GgmlType.F32)) {
            throw new IllegalArgumentException("Winograd weights need a 3×3 F16/F32 kernel, got " + kernel);
        }
        long ic = video ? inChannels : kernel.ne(2), oc = video ? kernel.ne(3) / inChannels : kernel.ne(3), taps = video ? kernel.ne(2) : 1;
        long t2 = (long) c.side() * c.side();
        long[] ne = c.fused() ? new long[] {16 * ic, Math.ceilDiv(oc, 16), t2, taps} : new long[] {ic, oc, t2, taps};
        return g.customOp("winograd_u", c.type(), ne, MmgpKernels.winogradWeightsFunction(), params(c, 0, video, 0, 1), kernel);
    }

    /** Tap {@code dt} of U {IC, OC, T², taps}: the 3-D first operand {IC, OC, T²} of the products. */
    public static Tensor tap(Graph g, Tensor u, long dt) {
        return g.view(u, new long[] {u.ne(0), u.ne(1), u.ne(2)}, new long[] {u.nb(1), u.nb(2)}, dt * u.nb(3));
    }

    /**
     * M = U_dt × V at every position t, through {@link MatMul#apply}: U {IC, OC, T², taps}, V
     * {IC, tiles, n, T²} → {OC, tiles, n, T²}. One GEMM per t over all tiles and frames (V viewed
     * {IC, tiles·n, T²}), so the products are few and large whatever the frame count.
     */
    public static Tensor product(Graph g, Tensor u, long dt, Tensor v) {
        Tensor m = MatMul.apply(g, tap(g, u, dt), g.reshape(v, v.ne(0), v.ne(1) * v.ne(2), v.ne(3))); // {OC, tiles·n, T²}
        return g.reshape(m, m.ne(0), v.ne(1), v.ne(2), v.ne(3));
    }

    /**
     * V = Bᵀ d B per tile of {@code x} with zero padding {@code padding}: an image [W, H, IC, B] →
     * {IC, tiles, B, T²}, or with {@code video} [W, H, F, IC·B] → {IC, tiles, F·B, T²} (frames
     * inner, positions t outermost: see {@link #product}).
     */
    public static Tensor input(Graph g, Tensor x, int inChannels, int padding, boolean video, Config c) {
        if (x.type() != GgmlType.F32 || x.nb(0) != 4) throw new IllegalArgumentException("Winograd input must be F32 with contiguous rows, got " + x);
        if (padding < 0) throw new IllegalArgumentException("Winograd padding must be ≥ 0, got " + padding);
        if (video ? inChannels <= 0 || x.ne(3) % inChannels != 0 : x.ne(2) != inChannels) {
            throw new IllegalArgumentException("Winograd input " + x + " does not hold " + inChannels + "-channel " + (video ? "clips" : "images"));
        }
        long ow = x.ne(0) + 2L * padding - 2, oh = x.ne(1) + 2L * padding - 2;
        if (ow < 1 || oh < 1) throw new IllegalArgumentException("Winograd input " + x + " is smaller than a 3×3 kernel with padding " + padding);
        long n = video ? x.ne(2) * (x.ne(3) / inChannels) : x.ne(3);
        long t2 = (long) c.side() * c.side();
        return g.customOp("winograd_v", c.type(), new long[] {inChannels, c.tiles(ow, oh), n, t2}, MmgpKernels.winogradInputFunction(),
                params(c, padding, video, 0, 1), x);
    }

    /**
     * Y = Aᵀ (Σ M) A cropped to OW×OH, for images: products M {OC, tiles, B, T²} (up to 10,
     * summed in order) → [OW, OH, OC, B].
     */
    public static Tensor output(Graph g, List<Tensor> products, long ow, long oh, Config c) {
        Tensor m = checkProducts(products, ow, oh, c);
        for (Tensor p : products) {
            if (p.ne(2) != m.ne(2)) throw new IllegalArgumentException("Winograd image products " + p + " and " + m + " hold different batches");
        }
        return g.customOp("winograd_y", GgmlType.F32, new long[] {ow, oh, m.ne(0), m.ne(2)}, MmgpKernels.winogradOutputFunction(),
                params(c, 0, false, 0, 1), products.toArray(Tensor[]::new));
    }

    /**
     * The clip frames [lo, hi] time tap {@code dt} reads for output frames [0, count) of a clip of
     * {@code frames} frames: clamp(first + o + dt, 0, F − 1) over o, as {lo, hi − lo + 1}.
     */
    public static long[] tapFrames(long frames, long first, long count, int dt) {
        long lo = Math.clamp(first + dt, 0, frames - 1), hi = Math.clamp(first + count - 1 + dt, 0, frames - 1);
        return new long[] {lo, hi - lo + 1};
    }

    /**
     * Frames [lo, lo + n) of every clip of V {IC, tiles, F·clips, T²} → {IC, tiles, n·clips, T²}:
     * V itself for all its frames, else a contiguous copy (ggml's tinyBLAS takes only a contiguous
     * second operand, and the frame range of V at each position is strided; its dot products would
     * round differently).
     */
    public static Tensor frames(Graph g, Tensor v, long clips, long lo, long n) {
        long frames = v.ne(2) / clips;
        if (clips < 1 || v.ne(2) % clips != 0 || lo < 0 || n < 1 || lo + n > frames) {
            throw new IllegalArgumentException("Winograd: frames [" + lo + ", " + (lo + n) + ") of " + clips + " clips are not in " + v);
        }
        if (n == frames) return v;
        // {IC·tiles, n, clips, T²}: one frame's IC×tiles block is contiguous.
        Tensor view = g.view(v, new long[] {v.ne(0) * v.ne(1), n, clips, v.ne(3)}, new long[] {v.nb(2), frames * v.nb(2), v.nb(3)}, lo * v.nb(2));
        return g.reshape(g.cont(view), v.ne(0), v.ne(1), n * clips, v.ne(3));
    }

    /**
     * The output transform of a 3-D convolution's time taps over a clip of {@code frames} frames:
     * products M_dt {OC, tiles, n_dt·clips, T²} of taps dt = 0.. (up to 10), each over the frames
     * the tap reads ({@link #tapFrames}) → [OW, OH, count, OC·clips], output frame o of clip b
     * summing M_dt at the clip's frame clamp(first + o + dt, 0, F − 1) (clamping repeats the edge frames).
     */
    public static Tensor outputVideo(Graph g, List<Tensor> products, long ow, long oh, long clips, long frames, long first, long count, Config c) {
        if (clips < 1) throw new IllegalArgumentException("Winograd output needs at least one clip, got " + clips);
        if (count < 1) throw new IllegalArgumentException("Winograd output needs at least one frame, got " + count);
        if (frames < 1) throw new IllegalArgumentException("Winograd output needs an input of at least one frame, got " + frames);
        Tensor m = checkProducts(products, ow, oh, c);
        for (int dt = 0; dt < products.size(); dt++) {
            long n = tapFrames(frames, first, count, dt)[1];
            if (products.get(dt).ne(2) != n * clips) {
                throw new IllegalArgumentException("Winograd product " + products.get(dt) + " of tap " + dt + " does not hold the " + n
                        + " frames the tap reads of " + clips + " clips");
            }
        }
        return g.customOp("winograd_y", GgmlType.F32, new long[] {ow, oh, count, m.ne(0) * clips}, MmgpKernels.winogradOutputFunction(),
                params(c, 0, true, Math.toIntExact(first), Math.toIntExact(frames)), products.toArray(Tensor[]::new));
    }

    private static Tensor checkProducts(List<Tensor> products, long ow, long oh, Config c) {
        if (products.isEmpty() || products.size() > 10) throw new IllegalArgumentException("Winograd output sums 1 to 10 products, got " + products.size());
        Tensor m = products.getFirst();
        long t2 = (long) c.side() * c.side();
        for (Tensor p : products) {
            if (p.type() != GgmlType.F32 || p.ne(0) != m.ne(0) || p.ne(1) != c.tiles(ow, oh) || p.ne(3) != t2) {
                throw new IllegalArgumentException("Winograd product " + p + " is not {OC, " + c.tiles(ow, oh) + ", n, " + t2 + "} F32 like " + m);
            }
        }
        return m;
    }

    /** Bytes of V per input frame (per clip) for an OW×OH output of {@code inChannels} channels. */
    public static long inputBytesPerFrame(Config c, long inChannels, long ow, long oh) {
        return inChannels * c.tiles(ow, oh) * c.side() * c.side() * c.type().rowBytes(1);
    }

    /** Bytes of one product M per output frame (per clip): F32 {OC, tiles, T²}. */
    public static long productBytesPerFrame(Config c, long outChannels, long ow, long oh) {
        return outChannels * c.tiles(ow, oh) * c.side() * c.side() * Float.BYTES;
    }

    /** struct mmgp_winograd_params (U packed for the fused op when {@code c} is fused). */
    private static int[] params(Config c, int padding, boolean video, int first, int frames) {
        int flags = (video ? MmgpKernels.WINOGRAD_VIDEO : 0) | (c.portable() ? MmgpKernels.WINOGRAD_PORTABLE : 0)
                | (c.fused() ? MmgpKernels.WINOGRAD_PACKED : 0);
        return new int[] {c.tile(), padding, flags, first, frames};
    }

    /** struct mmgp_winograd_fused_params. */
    private static int[] fusedParams(Config c, int padding, boolean video, int first) {
        int flags = (video ? MmgpKernels.WINOGRAD_VIDEO : 0) | (c.portable() ? MmgpKernels.WINOGRAD_PORTABLE : 0);
        return new int[] {c.tile(), padding, flags, first, block(), 0};
    }

    /**
     * A switch: the system property, else the environment variable, trimmed and lower-cased;
     * {@code fallback} when neither is set. A value not among {@code choices} is refused, so a typo
     * does not silently pick a route.
     */
    static String setting(String property, String variable, String fallback, String... choices) {
        String p = System.getProperty(property);
        boolean fromProperty = p != null && !p.isBlank();
        String v = fromProperty ? p : System.getenv(variable);
        if (v == null || v.isBlank()) return fallback;
        String value = v.strip().toLowerCase(Locale.ROOT);
        if (!List.of(choices).contains(value)) {
            throw new IllegalArgumentException((fromProperty ? "-D" + property : variable) + "=" + v + " is not one of " + String.join(", ", choices));
        }
        return value;
    }
}
