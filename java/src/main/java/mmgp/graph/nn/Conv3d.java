package mmgp.graph.nn;

import java.util.ArrayList;
import java.util.List;
import mmgp.graph.Graph;
import mmgp.graph.Numerics;
import mmgp.graph.Tensor;
import mmgp.tensor.GgmlType;

/**
 * 3-D convolution over videos laid out [W, H, F, C·B] (PyTorch (B, C, F, H, W) in memory).
 *
 * <p>The route is a sum over the kernel's KD time taps of 2-D convolutions ({@link Taps}): every
 * input frame is unfolded once into KH·KW·IC-long patches (the fast im2col, frames outermost),
 * and tap dt is one matmul of the kernel slice W[:, :, dt] against the patches of frames
 * [dt, dt + OF), a contiguous view; the taps' results are added. A 3-D im2col would unfold
 * KD·KH·KW·IC values per output position, KD times the memory and the im2col work, for the same
 * matmul FLOPs. Its precision follows {@link Graph#backend()}'s {@link Numerics}, as
 * {@link Conv2d#apply}: EXACT is F32 patches and an F32 kernel, FAST F16 patches and an F16
 * kernel (the activations rounded to F16).
 *
 * <p>A stride or zero padding along time is not a contiguous tap view; those convolutions (the
 * 0.9.0 encoder's stride-2 downsamplers) take {@link Graph#conv3d}, the 3-D im2col, with the
 * kernel cast to the route's type.
 *
 * <p>Under FAST ({@link Winograd#route}), a kernel that is 3×3 in space with stride 1 and
 * equal padding along W and H takes the {@link Winograd} route for its taps instead of the
 * im2col: the input frames are transformed once (V), tap dt is one product of U_dt with the
 * frames of V it reads, and one output transform sums the taps' products at their frame offsets;
 * on the fused op ({@link Winograd.Config#fused}) one op does all of it and adds the bias
 * ({@link Taps#replicating(Graph, Tensor, int[], int[], long, long, Tensor)}).
 */
public final class Conv3d {
    private Conv3d() {}

    /**
     * The route point of every 3-D convolution: kernel [KW, KH, KD, IC·OC] (PyTorch
     * (OC, IC, KD, KH, KW)), input [W, H, F, IC·B] → [OW, OH, OF, OC·B], zero padding
     * {@code padding} = {W, H, F} on both sides, strides {W, H, F}, no bias.
     */
    public static Tensor apply(Graph g, Tensor kernel, Tensor input, int inChannels, int[] stride, int[] padding) {
        if (!Taps.handles(stride, padding)) return im2col3d(g, kernel, input, inChannels, stride, padding);
        Taps taps = Taps.of(g, kernel, inChannels, input, stride, padding);
        long frames = input.ne(2) - taps.kd() + 1;
        if (frames <= 0) throw new IllegalArgumentException("conv3d: " + input + " has too few frames for kernel " + kernel);
        return concatFrames(g, taps.replicating(g, input, stride, padding, 0, frames));
    }

    /** The 3-D im2col route ({@link Graph#conv3d}), the kernel cast to the route's type: for strides and padding along time. */
    public static Tensor im2col3d(Graph g, Tensor kernel, Tensor input, int inChannels, int[] stride, int[] padding) {
        GgmlType type = routeType(g);
        return g.conv3d(kernel.type() == type ? kernel : g.cast(kernel, type), input, inChannels, stride, padding,
                (a, b) -> MatMul.apply(g, a, b));
    }

    /**
     * Whether convolutions the tap route can compute take it: yes unless {@code -Dmmgp.conv3d=im2col3d}
     * asks for the 3-D im2col (to compare the two; read at every graph build).
     */
    public static boolean tapRoute() {
        return !"im2col3d".equalsIgnoreCase(System.getProperty("mmgp.conv3d", ""));
    }

    /** The patch and kernel type of the route: F16 for {@link Numerics#FAST}, else F32. */
    public static GgmlType routeType(Graph g) {
        return g.backend().numerics() == Numerics.FAST ? GgmlType.F16 : GgmlType.F32;
    }

    /** Concatenates [W, H, F_i, C·B] parts along frames in a balanced tree (each value copied log₂(n) times). */
    public static Tensor concatFrames(Graph g, List<Tensor> parts) {
        if (parts.size() == 1) return parts.getFirst();
        int mid = parts.size() / 2;
        return g.concat(concatFrames(g, parts.subList(0, mid)), concatFrames(g, parts.subList(mid, parts.size())), 2);
    }

    /**
     * A 3-D kernel split into its time taps, on one of two routes:
     * <ul>
     *   <li>im2col ({@code winograd} null): {@code kernels} [KW·KH·IC, OC, KD] in the route's type,
     *       tap dt being the contiguous 2-D kernel [KW·KH·IC, OC] at dt (the rearranging copy is
     *       made once per graph, by {@link #of}, and shared by every chunk of frames);</li>
     *   <li>Winograd, three ops: {@code kernels} is U {IC, OC, T², KD} ({@link Winograd#weights3d}),
     *       tap dt the view {@link Winograd#tap};</li>
     *   <li>Winograd, fused op ({@link Winograd.Config#fused}): {@code kernels} is U packed
     *       {16·IC, ⌈OC/16⌉, T², KD}, which {@link Winograd#fusedVideo} reads whole (no tap views).</li>
     * </ul>
     *
     * @param kernel the original kernel [KW, KH, KD, IC·OC]; only its shape is read after {@link #of}
     */
    public record Taps(Tensor kernels, Tensor kernel, int kw, int kh, int kd, int inChannels, int outChannels, Winograd.Config winograd) {
        /**
         * Whether the tap route computes a convolution of these strides and paddings ({W, H, F}):
         * stride 1 and no padding along time, and the route not switched off ({@link #tapRoute}).
         */
        public static boolean handles(int[] stride, int[] padding) {
            return stride[2] == 1 && padding[2] == 0 && tapRoute();
        }

        /** Rearranges {@code kernel} [KW, KH, KD, IC·OC] into im2col taps of the route's type. */
        public static Taps of(Graph g, Tensor kernel, int inChannels) {
            int kw = (int) kernel.ne(0), kh = (int) kernel.ne(1), kd = (int) kernel.ne(2);
            int oc = outChannels(kernel, inChannels);
            GgmlType type = routeType(g);
            // [KW·KH, KD, IC, OC] → [KW·KH, IC, OC, KD]: axis 1 (KD) goes last, IC and OC move up.
            Tensor moved = g.permute(g.reshape(kernel, (long) kw * kh, kd, inChannels, oc), 0, 3, 1, 2);
            Tensor taps = kernel.type() == type ? g.cont(moved) : g.cast(moved, type);
            return new Taps(g.reshape(taps, (long) kw * kh * inChannels, oc, kd), kernel, kw, kh, kd, inChannels, oc, null);
        }

        /**
         * The taps of {@code kernel} for convolving inputs shaped as {@code input} [W, H, F, IC·B]
         * (or frame ranges of it) with these strides and paddings: the {@link Winograd} route when it
         * is on ({@link Winograd#route}) and handles the kernel, strides and padding, else {@link #of(Graph, Tensor, int)}.
         */
        public static Taps of(Graph g, Tensor kernel, int inChannels, Tensor input, int[] stride, int[] padding) {
            Winograd.Config c = Winograd.route(g);
            long ow = input.ne(0) + 2L * padding[0] - 2, oh = input.ne(1) + 2L * padding[1] - 2;
            // The three-op route's output transform sums at most 10 products (ggml's source limit); the fused op takes any.
            if (c == null || (!c.fused() && kernel.ne(2) > 10) || !Winograd.fits(kernel, input, stride[0], stride[1], padding[0], padding[1])
                    || !Winograd.worthIt(ow, oh)) {
                return of(g, kernel, inChannels);
            }
            int oc = outChannels(kernel, inChannels);
            return new Taps(Winograd.weights3d(g, kernel, inChannels, c), kernel, 3, 3, (int) kernel.ne(2), inChannels, oc, c);
        }

        private static int outChannels(Tensor kernel, int inChannels) {
            if (inChannels <= 0 || kernel.ne(3) % inChannels != 0) {
                throw new IllegalArgumentException("conv3d: kernel " + kernel + " does not hold " + inChannels + "-channel filters");
            }
            return (int) (kernel.ne(3) / inChannels);
        }

        /** Patch length of one output position, KW·KH·IC. */
        public long patch() {
            return (long) kw * kh * inChannels;
        }

        /**
         * Bytes one input frame takes once unfolded for an OW×OH output (per clip of the batch): its
         * im2col, or on the Winograd route its transform V.
         */
        public long unfoldedBytesPerFrame(long ow, long oh) {
            if (winograd != null && winograd.fused()) return 0; // the fused op transforms a block of tiles at a time, in thread buffers
            if (winograd != null) return Winograd.inputBytesPerFrame(winograd, inChannels, ow, oh);
            return patch() * ow * oh * kernels.type().rowBytes(1);
        }

        /**
         * Bytes held per output frame (per clip) while the taps are summed: on the im2col route two
         * F32 tap products (the sum and the next product); on the Winograd route the F32 result,
         * the KD products M (each tap multiplies the frames it reads, one per output frame, and all
         * products are inputs of the one output transform) and one tap's copy of V's frames; on the
         * fused op the F32 result alone (V and M live in its thread buffers, a block of tiles each).
         */
        public long productBytesPerFrame(long ow, long oh) {
            long output = (long) outChannels * ow * oh * Float.BYTES;
            if (winograd == null) return 2 * output;
            if (winograd.fused()) return output;
            return output + kd * Winograd.productBytesPerFrame(winograd, outChannels, ow, oh) + Winograd.inputBytesPerFrame(winograd, inChannels, ow, oh);
        }

        /**
         * Output frames [0, count) of the convolution of {@code input} [W, H, F, IC·B] whose frames
         * are padded by repeating the edge frames: output frame o reads, through tap dt, input
         * frame clamp(first + o + dt, 0, F − 1). Spatial strides and zero padding as {W, H}
         * (entries 0 and 1; the time entries are not read). Returns the output in frame order as
         * parts [OW, OH, F_i, OC·B] to concatenate along frames ({@link #concatFrames}): the
         * frames whose taps all read inside the input as one part, and each frame that reads a
         * repeated edge frame alone (it reuses the edge frame's patches, nothing is copied); on the
         * Winograd route one part.
         */
        public List<Tensor> replicating(Graph g, Tensor input, int[] stride, int[] padding, long first, long count) {
            return replicating(g, input, stride, padding, first, count, null);
        }

        /**
         * {@link #replicating} with {@code bias} [OC] added to every part (none when null): by the
         * fused Winograd op where the taps take it, else by a ggml add per part.
         */
        public List<Tensor> replicating(Graph g, Tensor input, int[] stride, int[] padding, long first, long count, Tensor bias) {
            long batch = Winograd.clips(input, inChannels, count);
            if (winograd != null && winograd.fused()) {
                return List.of(Winograd.fusedVideo(g, kernels, outChannels, bias, input, inChannels, padding[0], first, count, winograd));
            }
            List<Tensor> parts = unfused(g, input, stride, padding, first, count, batch);
            if (bias == null) return parts;
            List<Tensor> biased = new ArrayList<>(parts.size());
            for (Tensor p : parts) biased.add(g.add(p, Vectors.perChannel(g, bias, 3)));
            return biased;
        }

        private List<Tensor> unfused(Graph g, Tensor input, int[] stride, int[] padding, long first, long count, long batch) {
            long frames = input.ne(2);
            if (winograd != null) {
                // Each tap multiplies the input frames it reads once (count of them, fewer at the clip's
                // edges); the output transform sums tap dt's products at frame clamp(first + o + dt),
                // so the edge frames need no parts of their own.
                long ow = input.ne(0) + 2L * padding[0] - 2, oh = input.ne(1) + 2L * padding[1] - 2;
                Tensor v = Winograd.input(g, input, inChannels, padding[0], true, winograd); // {IC, tiles, F·B, T²}
                List<Tensor> products = new ArrayList<>();
                for (int dt = 0; dt < kd; dt++) {
                    long[] read = Winograd.tapFrames(frames, first, count, dt);
                    Tensor vt = Winograd.frames(g, v, batch, read[0], read[1]);   // {IC, tiles, n·B, T²}
                    products.add(Winograd.product(g, kernels, dt, vt));           // {OC, tiles, n·B, T²}
                }
                return List.of(Winograd.outputVideo(g, products, ow, oh, batch, frames, first, count, winograd)); // [OW, OH, count, OC·B]
            }
            GgmlType type = kernels.type();
            // Only the kernel's spatial shape is read by the im2col: a KD = 1 view of the kernel.
            Tensor shape = g.view(kernel, new long[] {kw, kh, 1, kernel.ne(3)}, new long[] {kernel.nb(1), kernel.nb(2), kernel.nb(3)}, 0);
            Tensor col = g.im2col3d(shape, input, inChannels, new int[] {stride[0], stride[1], 1},
                    new int[] {padding[0], padding[1], 0}, type); // [KW·KH·IC, OW, OH, F·B]
            long positions = col.ne(1) * col.ne(2);
            return split(frames, first, count, (from, to) -> frames(g, col, batch, frames, positions, from, to, first));
        }

        /** Output frames [from, to) as a part [OW, OH, to − from, OC·B]. */
        private interface FrameRange {
            Tensor frames(long from, long to);
        }

        /**
         * Output frames [0, count) in frame order: the frames whose taps all read inside the input
         * (F frames, output frame o reading first + o + dt) as one part, each other frame alone.
         */
        private List<Tensor> split(long frames, long first, long count, FrameRange range) {
            // Output frames [lo, hi) read no repeated frame: first + lo ≥ 0 and first + hi − 1 + kd − 1 ≤ F − 1.
            long lo = Math.clamp(-first, 0, count), hi = Math.clamp(frames - first - kd + 1, lo, count);
            List<Tensor> parts = new ArrayList<>();
            for (long o = 0; o < lo; o++) parts.add(range.frames(o, o + 1));
            if (hi > lo) parts.add(range.frames(lo, hi));
            for (long o = Math.max(hi, lo); o < count; o++) parts.add(range.frames(o, o + 1));
            return parts;
        }

        /** The input frame tap dt of output frames [from, from + n) starts at: clamped for a single (possibly repeated edge) frame. */
        private long tapStart(long frames, long first, long from, long n, int dt) {
            long start = first + from + dt;
            // A single frame may be a repeated edge frame; a run of several never is (see split).
            if (n == 1) return Math.clamp(start, 0, frames - 1);
            if (start < 0 || start + n > frames) throw new IllegalStateException("tap " + dt + " reads past the input's frames");
            return start;
        }

        /** Output frames [from, to) as Σ_dt patches(frames first + o + dt, clamped) · W_dt: [OW, OH, to − from, OC·B]. */
        private Tensor frames(Graph g, Tensor col, long batch, long frames, long positions, long from, long to, long first) {
            long n = to - from, k = patch(), rowBytes = col.nb(1);
            // Patches first, the result [OW·OH·n, OC] is already the output layout. ggml's F32 GEMM
            // (llamafile's tinyBLAS) takes only a first operand whose row count is a multiple of 4 and
            // otherwise falls back to ggml's dot products, which round differently: for other
            // position counts the kernel goes first (always tinyBLAS, whose sums do not depend on
            // the operand order) and the sum is transposed, so tiles of any size compute the same bits.
            // mmgp's F32 GEMM (MatMul#takesF32Gemm) sums every element in k order whichever operand
            // comes first, so under it the patches always go first and no transposing copy is made.
            boolean patchesFirst = positions * n % 4 == 0
                    || MatMul.takesF32Gemm(g, g.view(col, new long[] {k, positions * n}, new long[] {rowBytes}, 0),
                            g.view(kernels, new long[] {k, outChannels}, new long[] {kernels.nb(1)}, 0));
            List<Tensor> clips = new ArrayList<>();
            for (long b = 0; b < batch; b++) {
                Tensor y = null;
                for (int dt = 0; dt < kd; dt++) {
                    long start = tapStart(frames, first, from, n, dt);
                    Tensor patches = g.view(col, new long[] {k, positions * n}, new long[] {rowBytes}, (b * frames + start) * positions * rowBytes);
                    Tensor tap = g.view(kernels, new long[] {k, outChannels}, new long[] {kernels.nb(1)}, dt * kernels.nb(2));
                    Tensor t = patchesFirst ? MatMul.apply(g, patches, tap) : MatMul.apply(g, tap, patches); // [OW·OH·n, OC] or [OC, OW·OH·n]
                    y = y == null ? t : g.add(y, t);
                }
                if (!patchesFirst) y = g.cont(g.transpose(y));
                clips.add(g.reshape(y, col.ne(1), col.ne(2), n, outChannels));
            }
            Tensor out = clips.getFirst();
            for (int b = 1; b < clips.size(); b++) out = g.concat(out, clips.get(b), 3);
            return out;
        }
    }
}
