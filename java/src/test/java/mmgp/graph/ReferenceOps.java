package mmgp.graph;

import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * Plain-Java reference implementations of the graph ops, written from the PyTorch (or, where
 * ggml has its own semantics, the ggml) definition and computed in double. Never calls ggml.
 *
 * <p>All tensors are flat arrays in ggml order: for dimensions {@code ne = [ne0, ne1, ne2, ne3]}
 * element (i0, i1, i2, i3) lives at {@code i0 + ne0·(i1 + ne1·(i2 + ne2·i3))}, so ne0 is
 * PyTorch's last dimension. Shapes are always given with four entries.
 */
final class ReferenceOps {
    private ReferenceOps() {}

    static int at(int[] ne, int i0, int i1, int i2, int i3) {
        return i0 + ne[0] * (i1 + ne[1] * (i2 + ne[2] * i3));
    }

    static int size(int[] ne) {
        return ne[0] * ne[1] * ne[2] * ne[3];
    }

    /** The four coordinates of flat index {@code i}. */
    static int[] coords(int[] ne, int i) {
        int i0 = i % ne[0];
        int r = i / ne[0];
        int i1 = r % ne[1];
        r /= ne[1];
        return new int[] {i0, i1, r % ne[2], r / ne[2]};
    }

    // ---------------------------------------------------------------- arithmetic

    /**
     * ggml_mul_mat: w [K, M] (row m holds w[m·K .. m·K+K)), x [K, cols] → [M, cols],
     * y[m, c] = Σ_k w[m, k]·x[k, c]: PyTorch's x @ Wᵀ with W of shape [M, K].
     */
    static double[] mulMat(float[] w, int k, int m, float[] x, int cols) {
        double[] y = new double[m * cols];
        for (int c = 0; c < cols; c++) {
            for (int r = 0; r < m; r++) {
                double s = 0;
                for (int i = 0; i < k; i++) s += (double) w[r * k + i] * x[c * k + i];
                y[c * m + r] = s;
            }
        }
        return y;
    }

    /** Σ_k |w[m, k]·x[k, c]|, the scale against which a dot product's rounding error is measured. */
    static double[] mulMatAbs(float[] w, int k, int m, float[] x, int cols) {
        double[] y = new double[m * cols];
        for (int c = 0; c < cols; c++) {
            for (int r = 0; r < m; r++) {
                double s = 0;
                for (int i = 0; i < k; i++) s += Math.abs((double) w[r * k + i] * x[c * k + i]);
                y[c * m + r] = s;
            }
        }
        return y;
    }

    /**
     * Element-wise a ∘ b where b is repeated (tiled) to a's shape, as ggml broadcasts: every
     * b.ne[d] must divide a.ne[d]. With b.ne[d] ∈ {1, a.ne[d]} this is PyTorch broadcasting.
     */
    static double[] broadcast(float[] a, int[] ane, float[] b, int[] bne, DoubleBinaryOperator op) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            int[] c = coords(ane, i);
            int j = at(bne, c[0] % bne[0], c[1] % bne[1], c[2] % bne[2], c[3] % bne[3]);
            y[i] = op.applyAsDouble(a[i], b[j]);
        }
        return y;
    }

    static double[] map(float[] x, DoubleUnaryOperator f) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = f.applyAsDouble(x[i]);
        return y;
    }

    /** Sum over ne0 of each row → [1, ne1, ne2, ne3]. */
    static double[] sumRows(float[] x, int ne0) {
        double[] y = new double[x.length / ne0];
        for (int r = 0; r < y.length; r++) {
            double s = 0;
            for (int i = 0; i < ne0; i++) s += x[r * ne0 + i];
            y[r] = s;
        }
        return y;
    }

    /** a tiled to shape {@code to} (ggml_repeat; every a.ne[d] divides to[d]). */
    static double[] repeat(float[] a, int[] ane, int[] to) {
        double[] y = new double[size(to)];
        for (int i = 0; i < y.length; i++) {
            int[] c = coords(to, i);
            y[i] = a[at(ane, c[0] % ane[0], c[1] % ane[1], c[2] % ane[2], c[3] % ane[3])];
        }
        return y;
    }

    // ---------------------------------------------------------------- normalisation

    /** PyTorch layer_norm over ne0 (biased variance), optional affine weight/bias of length ne0. */
    static double[] layerNorm(float[] x, int ne0, float[] weight, float[] bias, double eps) {
        double[] y = new double[x.length];
        for (int r = 0; r < x.length / ne0; r++) {
            double mean = 0, var = 0;
            for (int i = 0; i < ne0; i++) mean += x[r * ne0 + i];
            mean /= ne0;
            for (int i = 0; i < ne0; i++) var += sq(x[r * ne0 + i] - mean);
            var /= ne0;
            double inv = 1 / Math.sqrt(var + eps);
            for (int i = 0; i < ne0; i++) {
                double v = (x[r * ne0 + i] - mean) * inv;
                if (weight != null) v *= weight[i];
                if (bias != null) v += bias[i];
                y[r * ne0 + i] = v;
            }
        }
        return y;
    }

    /** x / sqrt(mean(x²) + eps) over ne0 (T5 / Llama RMSNorm without weight). */
    static double[] rmsNorm(float[] x, int ne0, double eps) {
        double[] y = new double[x.length];
        for (int r = 0; r < x.length / ne0; r++) {
            double ms = 0;
            for (int i = 0; i < ne0; i++) ms += sq(x[r * ne0 + i]);
            double inv = 1 / Math.sqrt(ms / ne0 + eps);
            for (int i = 0; i < ne0; i++) y[r * ne0 + i] = x[r * ne0 + i] * inv;
        }
        return y;
    }

    /**
     * PyTorch nn.GroupNorm without affine on an [N, C, H, W] tensor (ggml [W, H, C, N]): the C
     * channels form {@code groups} consecutive groups; each (sample, group) is normalised over
     * all its C/groups·H·W values with the biased variance.
     */
    static double[] groupNorm(float[] x, int[] ne, int groups, double eps) {
        int w = ne[0], h = ne[1], c = ne[2], n = ne[3];
        int perGroup = c / groups;
        int span = w * h * perGroup; // a group's values are contiguous in this layout
        double[] y = new double[x.length];
        for (int s = 0; s < n; s++) {
            for (int g = 0; g < groups; g++) {
                int base = (s * c + g * perGroup) * w * h;
                double mean = 0, var = 0;
                for (int i = 0; i < span; i++) mean += x[base + i];
                mean /= span;
                for (int i = 0; i < span; i++) var += sq(x[base + i] - mean);
                var /= span;
                double inv = 1 / Math.sqrt(var + eps);
                for (int i = 0; i < span; i++) y[base + i] = (x[base + i] - mean) * inv;
            }
        }
        return y;
    }

    // ---------------------------------------------------------------- attention

    /**
     * softmax(scale·x + mask) over ne0. The mask (may be null) has ne0 columns and at least ne1
     * rows; row i1 of x uses mask row i1, and the mask repeats over ne2/ne3 by modulo.
     */
    static double[] softMax(float[] x, int[] ne, float[] mask, int[] maskNe, double scale) {
        double[] y = new double[x.length];
        double[] row = new double[ne[0]];
        for (int i3 = 0; i3 < ne[3]; i3++) {
            for (int i2 = 0; i2 < ne[2]; i2++) {
                for (int i1 = 0; i1 < ne[1]; i1++) {
                    int base = at(ne, 0, i1, i2, i3);
                    for (int i = 0; i < ne[0]; i++) {
                        row[i] = scale * x[base + i];
                        if (mask != null) row[i] += mask[at(maskNe, i, i1, i2 % maskNe[2], i3 % maskNe[3])];
                    }
                    double[] p = softmax(row);
                    System.arraycopy(p, 0, y, base, ne[0]);
                }
            }
        }
        return y;
    }

    static double[] softmax(double[] row) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : row) max = Math.max(max, v);
        double sum = 0;
        double[] p = new double[row.length];
        for (int i = 0; i < row.length; i++) {
            p[i] = Math.exp(row[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < row.length; i++) p[i] /= sum;
        return p;
    }

    /**
     * Scaled dot-product attention, softmax(q·kᵀ·scale + mask)·v, per head and batch, with
     * grouped KV heads (query head h reads KV head h / (H / Hkv)).
     * q [D, Nq, H, B], k [D, Nk, Hkv, B], v [Dv, Nk, Hkv, B], mask [Nk, ≥Nq] (broadcast over H, B)
     * or null. Returns ggml_flash_attn_ext's layout [Dv, H, Nq, B] (heads before queries).
     */
    static double[] attention(float[] q, float[] k, float[] v, float[] mask, int d, int dv, int nq, int nk,
                              int heads, int kvHeads, int batch, double scale) {
        double[] out = new double[dv * heads * nq * batch];
        int group = heads / kvHeads;
        double[] s = new double[nk];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int hk = h / group;
                for (int iq = 0; iq < nq; iq++) {
                    for (int j = 0; j < nk; j++) {
                        double dot = 0;
                        for (int i = 0; i < d; i++) {
                            dot += (double) q[i + d * (iq + nq * (h + heads * b))] * k[i + d * (j + nk * (hk + kvHeads * b))];
                        }
                        s[j] = dot * scale + (mask == null ? 0 : mask[j + nk * iq]);
                    }
                    double[] p = softmax(s);
                    for (int i = 0; i < dv; i++) {
                        double acc = 0;
                        for (int j = 0; j < nk; j++) acc += p[j] * v[i + dv * (j + nk * (hk + kvHeads * b))];
                        out[i + dv * (h + heads * (iq + nq * b))] = acc;
                    }
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- rotary embeddings

    /**
     * Textbook RoPE on x [D, H, T, B] with positions pos[T]: pair i < nDims/2 is rotated by
     * θ_i = pos·freqScale·base^(−2i/nDims). Normal (GPT-J) mode pairs (x[2i], x[2i+1]);
     * NeoX mode pairs (x[i], x[i + nDims/2]). Dimensions from nDims on pass through.
     */
    static double[] rope(float[] x, int[] ne, int[] pos, int nDims, boolean neox, double base, double freqScale) {
        double[] y = toDouble(x);
        for (int i3 = 0; i3 < ne[3]; i3++) {
            for (int t = 0; t < ne[2]; t++) {
                for (int h = 0; h < ne[1]; h++) {
                    int row = at(ne, 0, h, t, i3);
                    for (int i = 0; i < nDims / 2; i++) {
                        double theta = pos[t] * freqScale * Math.pow(base, -2.0 * i / nDims);
                        int a = neox ? i : 2 * i;
                        int b = neox ? i + nDims / 2 : 2 * i + 1;
                        rotate(x, y, row + a, row + b, theta);
                    }
                }
            }
        }
        return y;
    }

    /**
     * ggml's multi-axis RoPE (GGML_ROPE_TYPE_MROPE, ggml-cpu/ops.cpp ggml_mrope_cache_init) on
     * x [D, H, T, 1] with pos[4·T] (all t positions, then all h, w, e). Pair i < nDims/2 takes
     * its position from the axis whose section holds sector = i mod Σsections (sections are
     * t, h, w, e in that order) and its frequency from the global pair index:
     * θ_i = pos_axis·base^(−2i/nDims). Pairs use NeoX ordering (x[i], x[i + nDims/2]).
     */
    static double[] mrope(float[] x, int[] ne, int[] pos, int nDims, int[] sections, double base) {
        int tokens = ne[2];
        int total = sections[0] + sections[1] + sections[2] + sections[3];
        double[] y = toDouble(x);
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < ne[1]; h++) {
                int row = at(ne, 0, h, t, 0);
                for (int i = 0; i < nDims / 2; i++) {
                    int axis = sectionOf(i % total, sections);
                    double theta = pos[t + axis * tokens] * Math.pow(base, -2.0 * i / nDims);
                    rotate(x, y, row + i, row + i + nDims / 2, theta);
                }
            }
        }
        return y;
    }

    /**
     * ggml's vision RoPE (GGML_ROPE_TYPE_VISION, nDims = D/2): every one of the D/2 pairs
     * (x[i], x[i + nDims]) rotates; pair i belongs to the section holding sector = i mod
     * Σsections, and unlike MROPE its frequency index restarts at each section:
     * θ_i = pos_axis·base^(−2·(sector − sectionStart)/nDims).
     */
    static double[] visionRope(float[] x, int[] ne, int[] pos, int[] sections, double base) {
        int tokens = ne[2];
        int nDims = ne[0] / 2;
        int total = sections[0] + sections[1] + sections[2] + sections[3];
        double[] y = toDouble(x);
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < ne[1]; h++) {
                int row = at(ne, 0, h, t, 0);
                for (int i = 0; i < nDims; i++) {
                    int sector = i % total;
                    int axis = sectionOf(sector, sections);
                    int start = 0;
                    for (int a = 0; a < axis; a++) start += sections[a];
                    double theta = pos[t + axis * tokens] * Math.pow(base, -2.0 * (sector - start) / nDims);
                    rotate(x, y, row + i, row + i + nDims, theta);
                }
            }
        }
        return y;
    }

    private static int sectionOf(int sector, int[] sections) {
        int end = 0;
        for (int a = 0; a < 3; a++) {
            end += sections[a];
            if (sector < end) return a;
        }
        return 3;
    }

    private static void rotate(float[] x, double[] y, int a, int b, double theta) {
        double c = Math.cos(theta), s = Math.sin(theta);
        y[a] = x[a] * c - x[b] * s;
        y[b] = x[a] * s + x[b] * c;
    }

    /**
     * x·cos + rotate_pairs(x)·sin with rotate_pairs (x0, x1) → (−x1, x0) over interleaved pairs
     * along ne0; cos and sin are tiled to x's shape as ggml broadcasts.
     */
    static double[] rotaryInterleaved(float[] x, int[] ne, float[] cos, float[] sin, int[] csNe) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int[] c = coords(ne, i);
            int j = at(csNe, c[0] % csNe[0], c[1] % csNe[1], c[2] % csNe[2], c[3] % csNe[3]);
            double rotated = c[0] % 2 == 0 ? -x[i + 1] : x[i - 1];
            y[i] = (double) x[i] * cos[j] + rotated * sin[j];
        }
        return y;
    }

    // ---------------------------------------------------------------- activations

    /** Exact GELU, 0.5·x·(1 + erf(x/√2)) (PyTorch gelu, approximate="none"). */
    static double gelu(double x) {
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    /** PyTorch gelu(approximate="tanh"). */
    static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    /** CLIP's quick_gelu, x·sigmoid(1.702·x). */
    static double geluQuick(double x) {
        return x * sigmoid(1.702 * x);
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    static double silu(double x) {
        return x * sigmoid(x);
    }

    /**
     * erf to ~1e-15 relative for |x| ≤ 6: the series erf(x) = 2/√π·e^(−x²)·Σ 2ⁿx^(2n+1)/(1·3·…·(2n+1)),
     * whose terms are all positive (no cancellation); beyond 6, erf is ±1 to double precision.
     */
    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax > 6) return Math.signum(x);
        double term = ax, sum = ax;
        for (int n = 1; term > 1e-17 * sum; n++) {
            term *= 2 * ax * ax / (2 * n + 1);
            sum += term;
        }
        return Math.copySign(2 / Math.sqrt(Math.PI) * Math.exp(-ax * ax) * sum, x);
    }

    // ---------------------------------------------------------------- convolution

    /**
     * PyTorch conv2d (no bias, no dilation): input [N, IC, H, W] = ggml [W, H, IC, N], weight
     * [OC, IC, KH, KW] = ggml [KW, KH, IC, OC], zero padding p on both sides of H and W.
     * Returns [N, OC, OH, OW] = ggml [OW, OH, OC, N] with OH = (H + 2p − KH)/s + 1.
     */
    static double[] conv2d(float[] x, int[] xne, float[] w, int[] wne, int stride, int pad) {
        int iw = xne[0], ih = xne[1], ic = xne[2], n = xne[3];
        int kw = wne[0], kh = wne[1], oc = wne[3];
        int ow = (iw + 2 * pad - kw) / stride + 1, oh = (ih + 2 * pad - kh) / stride + 1;
        int[] yne = {ow, oh, oc, n};
        double[] y = new double[size(yne)];
        for (int s = 0; s < n; s++)
            for (int o = 0; o < oc; o++)
                for (int r = 0; r < oh; r++)
                    for (int c = 0; c < ow; c++) {
                        double acc = 0;
                        for (int i = 0; i < ic; i++)
                            for (int a = 0; a < kh; a++)
                                for (int b = 0; b < kw; b++) {
                                    int yy = r * stride + a - pad, xx = c * stride + b - pad;
                                    if (yy < 0 || yy >= ih || xx < 0 || xx >= iw) continue;
                                    acc += (double) x[at(xne, xx, yy, i, s)] * w[at(wne, b, a, i, o)];
                                }
                        y[at(yne, c, r, o, s)] = acc;
                    }
        return y;
    }

    /** Σ|x·w| over each output's receptive field: the scale of conv2d's rounding error. */
    static double[] conv2dAbs(float[] x, int[] xne, float[] w, int[] wne, int stride, int pad) {
        float[] ax = abs(x), aw = abs(w);
        return conv2d(ax, xne, aw, wne, stride, pad);
    }

    /**
     * PyTorch conv_transpose2d (padding 0, no output padding): input [N, IC, H, W], weight
     * [IC, OC, KH, KW] = ggml [KW, KH, OC, IC]; out[n, oc, h·s + kh, w·s + kw] += x·w, so the
     * result is [N, OC, (H−1)s + KH, (W−1)s + KW] = ggml [OW, OH, OC, N].
     */
    static double[] convTranspose2d(float[] x, int[] xne, float[] w, int[] wne, int stride) {
        int iw = xne[0], ih = xne[1], ic = xne[2], n = xne[3];
        int kw = wne[0], kh = wne[1], oc = wne[2];
        int[] yne = {(iw - 1) * stride + kw, (ih - 1) * stride + kh, oc, n};
        double[] y = new double[size(yne)];
        for (int s = 0; s < n; s++)
            for (int i = 0; i < ic; i++)
                for (int r = 0; r < ih; r++)
                    for (int c = 0; c < iw; c++)
                        for (int o = 0; o < oc; o++)
                            for (int a = 0; a < kh; a++)
                                for (int b = 0; b < kw; b++)
                                    y[at(yne, c * stride + b, r * stride + a, o, s)] += (double) x[at(xne, c, r, i, s)] * w[at(wne, b, a, o, i)];
        return y;
    }

    /**
     * im2col for 2-D: input [W, H, IC, N], kernel size KW×KH → [IC·KH·KW, OW, OH, N] where
     * column entry (ic·KH + kh)·KW + kw of output pixel (ow, oh) is x[ow·s + kw − p, oh·s + kh − p]
     * of channel ic, or 0 in the padding.
     */
    static double[] im2col2d(float[] x, int[] xne, int kw, int kh, int stride, int pad) {
        int iw = xne[0], ih = xne[1], ic = xne[2], n = xne[3];
        int ow = (iw + 2 * pad - kw) / stride + 1, oh = (ih + 2 * pad - kh) / stride + 1;
        int k = ic * kh * kw;
        double[] y = new double[k * ow * oh * n];
        for (int s = 0; s < n; s++)
            for (int r = 0; r < oh; r++)
                for (int c = 0; c < ow; c++)
                    for (int i = 0; i < ic; i++)
                        for (int a = 0; a < kh; a++)
                            for (int b = 0; b < kw; b++) {
                                int yy = r * stride + a - pad, xx = c * stride + b - pad;
                                double v = yy < 0 || yy >= ih || xx < 0 || xx >= iw ? 0 : x[at(xne, xx, yy, i, s)];
                                y[(i * kh + a) * kw + b + k * (c + ow * (r + oh * s))] = v;
                            }
        return y;
    }

    /**
     * im2col for 1-D: input [W, IC, N], kernel width KW → [IC·KW, OW, N] with entry ic·KW + kw of
     * output position ow equal to x[ow·s + kw − p] of channel ic, or 0 in the padding.
     */
    static double[] im2col1d(float[] x, int iw, int ic, int n, int kw, int stride, int pad) {
        int ow = (iw + 2 * pad - kw) / stride + 1;
        int k = ic * kw;
        double[] y = new double[k * ow * n];
        for (int s = 0; s < n; s++)
            for (int c = 0; c < ow; c++)
                for (int i = 0; i < ic; i++)
                    for (int b = 0; b < kw; b++) {
                        int xx = c * stride + b - pad;
                        y[i * kw + b + k * (c + ow * s)] = xx < 0 || xx >= iw ? 0 : x[xx + iw * (i + ic * s)];
                    }
        return y;
    }

    /**
     * PyTorch conv3d (no bias, no dilation): input [N, IC, D, H, W] = ggml [W, H, D, IC·N] (channel
     * ic of sample n at ne3 index ic + IC·n), weight [OC, IC, KD, KH, KW] = ggml [KW, KH, KD, IC·OC].
     * stride/pad are {w, h, d}. Returns [N, OC, OD, OH, OW] = ggml [OW, OH, OD, OC·N].
     */
    static double[] conv3d(float[] x, int[] xne, int ic, float[] w, int[] wne, int[] stride, int[] pad) {
        int iw = xne[0], ih = xne[1], id = xne[2], n = xne[3] / ic;
        int kw = wne[0], kh = wne[1], kd = wne[2], oc = wne[3] / ic;
        int ow = (iw + 2 * pad[0] - kw) / stride[0] + 1;
        int oh = (ih + 2 * pad[1] - kh) / stride[1] + 1;
        int od = (id + 2 * pad[2] - kd) / stride[2] + 1;
        int[] yne = {ow, oh, od, oc * n};
        double[] y = new double[size(yne)];
        for (int s = 0; s < n; s++)
            for (int o = 0; o < oc; o++)
                for (int z = 0; z < od; z++)
                    for (int r = 0; r < oh; r++)
                        for (int c = 0; c < ow; c++) {
                            double acc = 0;
                            for (int i = 0; i < ic; i++)
                                for (int e = 0; e < kd; e++)
                                    for (int a = 0; a < kh; a++)
                                        for (int b = 0; b < kw; b++) {
                                            int zz = z * stride[2] + e - pad[2];
                                            int yy = r * stride[1] + a - pad[1];
                                            int xx = c * stride[0] + b - pad[0];
                                            if (zz < 0 || zz >= id || yy < 0 || yy >= ih || xx < 0 || xx >= iw) continue;
                                            acc += (double) x[at(xne, xx, yy, zz, i + ic * s)] * w[at(wne, b, a, e, i + ic * o)];
                                        }
                            y[at(yne, c, r, z, o + oc * s)] = acc;
                        }
        return y;
    }

    /**
     * Causal 3-D convolution of one clip [W, H, T, IC]: the first frame is repeated KD−1 times in
     * front, H and W are zero-padded by p on both sides, nothing is added after the last frame,
     * so the output keeps T frames and frame t sees only frames ≤ t.
     */
    static double[] causalConv3d(float[] x, int[] xne, int ic, float[] w, int[] wne, int spatialPad) {
        int kd = wne[2];
        int t = xne[2];
        int[] padded = {xne[0], xne[1], t + kd - 1, xne[3]};
        float[] xp = new float[size(padded)];
        for (int c = 0; c < xne[3]; c++)
            for (int z = 0; z < padded[2]; z++)
                for (int r = 0; r < xne[1]; r++)
                    for (int q = 0; q < xne[0]; q++)
                        xp[at(padded, q, r, z, c)] = x[at(xne, q, r, Math.max(0, z - (kd - 1)), c)];
        return conv3d(xp, padded, ic, w, wne, new int[] {1, 1, 1}, new int[] {spatialPad, spatialPad, 0});
    }

    // ---------------------------------------------------------------- resampling and padding

    static double[] upscaleNearest(float[] x, int[] ne, int factor) {
        int[] yne = {ne[0] * factor, ne[1] * factor, ne[2], ne[3]};
        double[] y = new double[size(yne)];
        for (int i = 0; i < y.length; i++) {
            int[] c = coords(yne, i);
            y[i] = x[at(ne, c[0] / factor, c[1] / factor, c[2], c[3])];
        }
        return y;
    }

    /**
     * PyTorch F.interpolate(mode="bilinear") over ne0 (W) and ne1 (H) to ow×oh. With
     * alignCorners=false the source coordinate is (i + 0.5)·in/out − 0.5 clamped at 0 (half-pixel
     * centres); with alignCorners=true it is i·(in − 1)/(out − 1).
     */
    static double[] bilinear(float[] x, int[] ne, int ow, int oh, boolean alignCorners) {
        int[] yne = {ow, oh, ne[2], ne[3]};
        double[] y = new double[size(yne)];
        for (int i3 = 0; i3 < ne[3]; i3++)
            for (int i2 = 0; i2 < ne[2]; i2++)
                for (int r = 0; r < oh; r++) {
                    double sy = sourceCoordinate(r, ne[1], oh, alignCorners);
                    int y0 = (int) Math.floor(sy), y1 = Math.min(y0 + 1, ne[1] - 1);
                    double fy = sy - y0;
                    for (int c = 0; c < ow; c++) {
                        double sx = sourceCoordinate(c, ne[0], ow, alignCorners);
                        int x0 = (int) Math.floor(sx), x1 = Math.min(x0 + 1, ne[0] - 1);
                        double fx = sx - x0;
                        double top = x[at(ne, x0, y0, i2, i3)] * (1 - fx) + x[at(ne, x1, y0, i2, i3)] * fx;
                        double bottom = x[at(ne, x0, y1, i2, i3)] * (1 - fx) + x[at(ne, x1, y1, i2, i3)] * fx;
                        y[at(yne, c, r, i2, i3)] = top * (1 - fy) + bottom * fy;
                    }
                }
        return y;
    }

    private static double sourceCoordinate(int i, int in, int out, boolean alignCorners) {
        if (alignCorners) return out > 1 ? i * (in - 1.0) / (out - 1.0) : 0;
        return Math.max(0, (i + 0.5) * in / out - 0.5);
    }

    /** Zero padding: lr = {left0, right0, left1, right1, left2, right2, left3, right3}. */
    static double[] pad(float[] x, int[] ne, int... lr) {
        int[] p = java.util.Arrays.copyOf(lr, 8);
        int[] yne = new int[4];
        for (int d = 0; d < 4; d++) yne[d] = ne[d] + p[2 * d] + p[2 * d + 1];
        double[] y = new double[size(yne)];
        for (int i = 0; i < x.length; i++) {
            int[] c = coords(ne, i);
            y[at(yne, c[0] + p[0], c[1] + p[2], c[2] + p[4], c[3] + p[6])] = x[i];
        }
        return y;
    }

    /** torch.cat along ggml dimension {@code dim}: a's elements first, then b's. */
    static double[] concat(float[] a, int[] ane, float[] b, int[] bne, int dim) {
        int[] yne = ane.clone();
        yne[dim] += bne[dim];
        double[] y = new double[size(yne)];
        for (int i = 0; i < a.length; i++) {
            int[] c = coords(ane, i);
            y[at(yne, c[0], c[1], c[2], c[3])] = a[i];
        }
        for (int i = 0; i < b.length; i++) {
            int[] c = coords(bne, i);
            c[dim] += ane[dim];
            y[at(yne, c[0], c[1], c[2], c[3])] = b[i];
        }
        return y;
    }

    // ---------------------------------------------------------------- shape and lookup

    /** The shape of ggml_permute(x, axes): source axis i becomes result axis axes[i]. */
    static int[] permutedShape(int[] ne, int... axes) {
        int[] yne = new int[4];
        for (int i = 0; i < 4; i++) yne[axes[i]] = ne[i];
        return yne;
    }

    /** The values of ggml_permute(x, axes), laid out contiguously (as ggml_cont would). */
    static double[] permute(float[] x, int[] ne, int... axes) {
        int[] yne = permutedShape(ne, axes);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int[] c = coords(ne, i);
            int[] d = new int[4];
            for (int k = 0; k < 4; k++) d[axes[k]] = c[k];
            y[at(yne, d[0], d[1], d[2], d[3])] = x[i];
        }
        return y;
    }

    /** Rows ids[j] of table [D, V] → [D, ids.length] (an embedding lookup). */
    static double[] getRows(float[] table, int d, int[] ids) {
        double[] y = new double[d * ids.length];
        for (int j = 0; j < ids.length; j++)
            for (int i = 0; i < d; i++) y[j * d + i] = table[ids[j] * d + i];
        return y;
    }

    static int[] argmax(float[] x, int ne0) {
        int[] y = new int[x.length / ne0];
        for (int r = 0; r < y.length; r++) {
            int best = 0;
            for (int i = 1; i < ne0; i++) if (x[r * ne0 + i] > x[r * ne0 + best]) best = i;
            y[r] = best;
        }
        return y;
    }

    /**
     * diffusers get_timestep_embedding(t, dim, flip_sin_to_cos=True, downscale_freq_shift=0,
     * scale=1, max_period): freq_j = exp(−ln(max_period)·j/half) for j < half = dim/2, then
     * [cos(t·freq), sin(t·freq)] (cosines first), zero-padded to dim when dim is odd.
     * Evaluated in float32 like the PyTorch code; returns [dim, N].
     */
    static double[] timestepEmbedding(float[] t, int dim, int maxPeriod) {
        int half = dim / 2;
        double[] y = new double[dim * t.length];
        for (int n = 0; n < t.length; n++) {
            for (int j = 0; j < half; j++) {
                float exponent = (float) (-Math.log(maxPeriod)) * j / half;
                float arg = t[n] * (float) Math.exp(exponent);
                y[n * dim + j] = Math.cos(arg);
                y[n * dim + half + j] = Math.sin(arg);
            }
        }
        return y;
    }

    // ---------------------------------------------------------------- helpers

    static double sq(double v) {
        return v * v;
    }

    static float[] abs(float[] v) {
        float[] r = new float[v.length];
        for (int i = 0; i < v.length; i++) r[i] = Math.abs(v[i]);
        return r;
    }

    static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }
}
