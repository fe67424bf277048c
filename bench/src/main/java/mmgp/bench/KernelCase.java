package mmgp.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One kernel shape of {@code mmgp bench kernels}: a GEMM, a convolution or an attention as one of
 * the models runs it at full size. {@link #torchJson()} is the case as {@code bench/python/torch_kernels.py}
 * reads it; both sides count FLOPs the same way ({@link #flop()}).
 */
public sealed interface KernelCase {
    /** Model group for {@code --cases}: amused, t5, ltx, vq, vae (or "quick"). */
    String group();

    /** Unique name, e.g. "ltx.ff_in". */
    String name();

    /** Where the shape comes from in the model. */
    String origin();

    double flop();

    /** The shape in words, e.g. "tokens 1120 · 2048→8192". */
    String shape();

    /** Fields torch_kernels.py reads (besides name and kind). */
    Map<String, Object> fields();

    String kind();

    default Map<String, Object> torchJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name());
        m.put("kind", kind());
        m.putAll(fields());
        return m;
    }

    /** nn.Linear(k, n) on m tokens: x[m, k]·W[n, k]ᵀ; in ggml mul_mat(W [k, n], x [k, m]) → [n, m]. */
    record Gemm(String group, String name, String origin, long m, long n, long k) implements KernelCase {
        public double flop() {
            return 2.0 * m * n * k;
        }

        public String shape() {
            return String.format(Locale.ROOT, "%d tokens · %d→%d", m, k, n);
        }

        public String kind() {
            return "gemm";
        }

        public Map<String, Object> fields() {
            return ordered("m", m, "n", n, "k", k);
        }
    }

    /** nn.Conv2d(cIn, cOut, kernel, stride, padding) on n images of h×w. */
    record Conv2d(String group, String name, String origin, int n, int cIn, int cOut, int h, int w, int kernel, int stride, int padding)
            implements KernelCase {
        public int outH() {
            return (h + 2 * padding - kernel) / stride + 1;
        }

        public int outW() {
            return (w + 2 * padding - kernel) / stride + 1;
        }

        public double flop() {
            return 2.0 * n * cOut * outH() * outW() * cIn * kernel * kernel;
        }

        public String shape() {
            return String.format(Locale.ROOT, "%d→%d ch, %d×%d, %d×%d kernel%s", cIn, cOut, h, w, kernel, kernel, n > 1 ? ", batch " + n : "");
        }

        public String kind() {
            return "conv2d";
        }

        public Map<String, Object> fields() {
            return ordered("n", n, "c_in", cIn, "c_out", cOut, "h", h, "w", w, "kernel", kernel, "stride", stride, "padding", padding);
        }
    }

    /** nn.Conv3d(cIn, cOut, (kt, kh, kw), stride 1, padding (pt, ph, pw)) on n clips of t×h×w. */
    record Conv3d(String group, String name, String origin, int n, int cIn, int cOut, int t, int h, int w, int[] kernel, int[] padding)
            implements KernelCase {
        public int out(int axis) {
            int len = axis == 0 ? t : axis == 1 ? h : w;
            return len + 2 * padding[axis] - kernel[axis] + 1;
        }

        public double flop() {
            return 2.0 * n * cOut * out(0) * out(1) * out(2) * cIn * kernel[0] * kernel[1] * kernel[2];
        }

        public String shape() {
            return String.format(Locale.ROOT, "%d→%d ch, %d×%d×%d in → %d frames out, %d×%d×%d kernel", cIn, cOut, t, h, w, out(0),
                    kernel[0], kernel[1], kernel[2]);
        }

        public String kind() {
            return "conv3d";
        }

        public Map<String, Object> fields() {
            return ordered("n", n, "c_in", cIn, "c_out", cOut, "t", t, "h", h, "w", w, "kernel", List.of(kernel[0], kernel[1], kernel[2]),
                    "padding", List.of(padding[0], padding[1], padding[2]));
        }
    }

    /** softmax(q·kᵀ/√d)·v for batch × heads, q_len queries against kv_len keys. */
    record Attention(String group, String name, String origin, int batch, int heads, int qLen, int kvLen, int headDim) implements KernelCase {
        public double flop() {
            return 4.0 * batch * heads * qLen * kvLen * headDim;
        }

        public String shape() {
            return String.format(Locale.ROOT, "%s%d heads × %d, %d → %d tokens", batch > 1 ? "batch " + batch + ", " : "", heads, headDim, qLen, kvLen);
        }

        public String kind() {
            return "attention";
        }

        public Map<String, Object> fields() {
            return ordered("batch", batch, "heads", heads, "q_len", qLen, "kv_len", kvLen, "head_dim", headDim);
        }
    }

    private static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    /**
     * The full-size shapes (see the origins): aMUSEd-256 (amused/amused-256: UViT hidden 1024, 16 heads × 64,
     * GEGLU intermediate 2816, a CFG pair of 16×16 tokens), T5-v1.1-XXL (d_model 4096, d_ff 10240 gated,
     * 64 heads × 64, 128 tokens), LTX-Video 2B (inner 2048, ff 8192, 32 heads × 64, 512×320×49 → 7×10×16 = 1120
     * latent tokens, 128 text tokens), the aMUSEd VQ decoder's 3×3 convs at 256² output and the LTX 0.9.5
     * VAE decoder's 3×3×3 convs at its three largest resolutions (one chunk of output frames each, as
     * CausalConv3d splits them under its 256 MiB budget: the first two as the 3-D im2col route chunked
     * them with F16 kernels, the rest as the tap route does in FAST numerics).
     */
    static List<KernelCase> full() {
        return List.of(
                new Gemm("amused", "amused.attn_proj", "UViT attention q/k/v/out projection (2 × 256 tokens)", 512, 1024, 1024),
                new Gemm("amused", "amused.ff_in", "UViT GEGLU ff.net.0.proj 1024 → 2·2816", 512, 5632, 1024),
                new Gemm("amused", "amused.ff_out", "UViT ff.net.2 2816 → 1024", 512, 1024, 2816),
                new Attention("amused", "amused.self_attn", "UViT self-attention, CFG pair", 2, 16, 256, 256, 64),
                new Gemm("t5", "t5.ff_in", "T5-XXL wi_0 / wi_1 4096 → 10240 (gated GELU)", 128, 10240, 4096),
                new Gemm("ltx", "ltx.attn_proj", "LTX 2B q/k/v/out projection 2048 → 2048", 1120, 2048, 2048),
                new Gemm("ltx", "ltx.ff_in", "LTX 2B ff.net.0.proj 2048 → 8192", 1120, 8192, 2048),
                new Gemm("ltx", "ltx.ff_out", "LTX 2B ff.net.2 8192 → 2048", 1120, 2048, 8192),
                new Attention("ltx", "ltx.self_attn", "LTX 2B self-attention, 1120 latent tokens", 1, 32, 1120, 1120, 64),
                new Attention("ltx", "ltx.cross_attn", "LTX 2B cross-attention to 128 text tokens", 1, 32, 1120, 128, 64),
                new Conv2d("vq", "vq.conv128_256", "VQ decoder up_blocks.4 resnet conv, 128 ch at 256²", 1, 128, 128, 256, 256, 3, 1, 1),
                new Conv2d("vq", "vq.conv256_128", "VQ decoder up_blocks.3 resnet conv, 256 ch at 128²", 1, 256, 256, 128, 128, 3, 1, 1),
                new Conv3d("vae", "vae.conv128_80x128", "0.9.5 VAE up_blocks.2 resnet conv, 128 ch at 80×128 (49 frames; 3-frame chunk)",
                        1, 128, 128, 5, 80, 128, new int[] {3, 3, 3}, new int[] {0, 1, 1}),
                new Conv3d("vae", "vae.conv256_40x64", "0.9.5 VAE up_blocks.1 resnet conv, 256 ch at 40×64 (25 frames; 8-frame chunk)",
                        1, 256, 256, 10, 40, 64, new int[] {3, 3, 3}, new int[] {0, 1, 1}),
                // The chunks CausalConv3d takes under the default 256 MiB budget (one clip): with the im2col
                // tap route's F16 patches (mmgp.conv=im2col) 6 of 49 frames, 14 of 25, all 13; with the
                // Winograd route (FAST's default, F32 V and products) 3 of 49 and 8 of 25 (the two cases above), all 13.
                new Conv3d("vae", "vae.conv128_80x128_c6", "0.9.5 VAE up_blocks.2 resnet conv, 128 ch at 80×128 (49 frames; 6-frame im2col-route chunk)",
                        1, 128, 128, 8, 80, 128, new int[] {3, 3, 3}, new int[] {0, 1, 1}),
                new Conv3d("vae", "vae.conv256_40x64_c14", "0.9.5 VAE up_blocks.1 resnet conv, 256 ch at 40×64 (25 frames; 14-frame im2col-route chunk)",
                        1, 256, 256, 16, 40, 64, new int[] {3, 3, 3}, new int[] {0, 1, 1}),
                new Conv3d("vae", "vae.conv512_20x32", "0.9.5 VAE up_blocks.0 resnet conv, 512 ch at 20×32 (13 frames, one chunk)",
                        1, 512, 512, 15, 20, 32, new int[] {3, 3, 3}, new int[] {0, 1, 1}));
    }

    /** Small shapes for a proof run and the test: one of each kind, a few milliseconds each. */
    static List<KernelCase> quick() {
        return List.of(
                new Gemm("quick", "quick.gemm", "small GEMM", 64, 256, 256),
                new Attention("quick", "quick.attn", "small attention", 1, 4, 64, 32, 64),
                new Conv2d("quick", "quick.conv2d", "small 3×3 conv", 1, 16, 16, 32, 32, 3, 1, 1),
                new Conv3d("quick", "quick.conv3d", "small 3×3×3 conv", 1, 8, 8, 5, 16, 16, new int[] {3, 3, 3}, new int[] {0, 1, 1}));
    }
}
