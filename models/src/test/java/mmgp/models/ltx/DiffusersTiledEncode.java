package mmgp.models.ltx;

import java.util.ArrayList;
import java.util.List;

/**
 * A line-by-line Java transcription of diffusers 0.33.1's {@code AutoencoderKLLTXVideo._encode},
 * {@code tiled_encode}, {@code _temporal_tiled_encode} and {@code blend_v/h/t}, over a pluggable
 * tile encoder, as the reference the tiled encode is tested against. Written from the Python
 * loops, not from {@link VaeTilePlan}: tiles at every {@code range(0, n, stride)} start (none
 * left out), in-place blends of 5-D blocks, slicing and {@code torch.cat} then the final crop.
 */
final class DiffusersTiledEncode {
    /** (B·C, F, H, W) values, PyTorch order. */
    record T(float[] d, int p, int f, int h, int w) {
        T(int p, int f, int h, int w) {
            this(new float[p * f * h * w], p, f, h, w);
        }

        int at(int c, int t, int y, int x) {
            return ((c * f + t) * h + y) * w + x;
        }

        /** x[:, t0:t1, y0:y1, x0:x1] as a copy (end indices clipped as Python slices are). */
        T crop(int t0, int t1, int y0, int y1, int x0, int x1) {
            t1 = Math.min(t1, f);
            y1 = Math.min(y1, h);
            x1 = Math.min(x1, w);
            T out = new T(p, t1 - t0, y1 - y0, x1 - x0);
            for (int c = 0; c < p; c++)
                for (int t = t0; t < t1; t++)
                    for (int y = y0; y < y1; y++)
                        for (int x = x0; x < x1; x++) out.d[out.at(c, t - t0, y - y0, x - x0)] = d[at(c, t, y, x)];
            return out;
        }
    }

    /** The encoder applied to x[:, :, f0:f0+nf, y0:y0+h, x0:x0+w]: its raw output h. */
    @FunctionalInterface
    interface Encoder {
        T encode(int f0, int nf, int y0, int h, int x0, int w);
    }

    private final VaeTiling s;
    private final int spatialRatio, temporalRatio;
    private final Encoder encoder;

    DiffusersTiledEncode(VaeTiling settings, int spatialRatio, int temporalRatio, Encoder encoder) {
        this.s = settings;
        this.spatialRatio = spatialRatio;
        this.temporalRatio = temporalRatio;
        this.encoder = encoder;
    }

    /** {@code _encode(x)} for x of numFrames × height × width. */
    T encode(int numFrames, int height, int width) {
        if (s.framewise() && numFrames > s.minFrames()) return temporalTiledEncode(numFrames, height, width);
        if (s.spatial() && (width > s.minWidth() || height > s.minHeight())) return tiledEncode(0, numFrames, height, width);
        return encoder.encode(0, numFrames, 0, height, 0, width);
    }

    T tiledEncode(int f0, int numFrames, int height, int width) {
        int latentHeight = height / spatialRatio, latentWidth = width / spatialRatio;
        int tileLatentMinHeight = s.minHeight() / spatialRatio, tileLatentMinWidth = s.minWidth() / spatialRatio;
        int tileLatentStrideHeight = s.strideHeight() / spatialRatio, tileLatentStrideWidth = s.strideWidth() / spatialRatio;
        int blendHeight = tileLatentMinHeight - tileLatentStrideHeight, blendWidth = tileLatentMinWidth - tileLatentStrideWidth;
        List<List<T>> rows = new ArrayList<>();
        for (int i = 0; i < height; i += s.strideHeight()) {
            List<T> row = new ArrayList<>();
            for (int j = 0; j < width; j += s.strideWidth()) {
                row.add(encoder.encode(f0, numFrames, i, Math.min(s.minHeight(), height - i), j, Math.min(s.minWidth(), width - j)));
            }
            rows.add(row);
        }
        List<T> resultRows = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            List<T> row = rows.get(i), resultRow = new ArrayList<>();
            for (int j = 0; j < row.size(); j++) {
                T tile = row.get(j);
                if (i > 0) blendV(rows.get(i - 1).get(j), tile, blendHeight);
                if (j > 0) blendH(row.get(j - 1), tile, blendWidth);
                resultRow.add(tile.crop(0, tile.f(), 0, tileLatentStrideHeight, 0, tileLatentStrideWidth));
            }
            resultRows.add(cat(resultRow, 3));
        }
        T enc = cat(resultRows, 2);
        return enc.crop(0, enc.f(), 0, latentHeight, 0, latentWidth);
    }

    T temporalTiledEncode(int numFrames, int height, int width) {
        int latentNumFrames = (numFrames - 1) / temporalRatio + 1;
        int tileLatentMinNumFrames = s.minFrames() / temporalRatio, tileLatentStrideNumFrames = s.strideFrames() / temporalRatio;
        int blendNumFrames = tileLatentMinNumFrames - tileLatentStrideNumFrames;
        List<T> row = new ArrayList<>();
        for (int i = 0; i < numFrames; i += s.strideFrames()) {
            int n = Math.min(s.minFrames() + 1, numFrames - i);
            T tile = s.spatial() && (height > s.minHeight() || width > s.minWidth()) ? tiledEncode(i, n, height, width) : encoder.encode(i, n, 0, height, 0, width);
            if (i > 0) tile = tile.crop(1, tile.f(), 0, tile.h(), 0, tile.w());
            row.add(tile);
        }
        List<T> resultRow = new ArrayList<>();
        for (int i = 0; i < row.size(); i++) {
            T tile = row.get(i);
            if (i > 0) {
                blendT(row.get(i - 1), tile, blendNumFrames);
                resultRow.add(tile.crop(0, tileLatentStrideNumFrames, 0, tile.h(), 0, tile.w()));
            } else {
                resultRow.add(tile.crop(0, tileLatentStrideNumFrames + 1, 0, tile.h(), 0, tile.w()));
            }
        }
        T enc = cat(resultRow, 1);
        return enc.crop(0, latentNumFrames, 0, enc.h(), 0, enc.w());
    }

    /** b[y] = a[−e + y]·(1 − y/e) + b[y]·(y/e) over H, in place; torch rounds the Python weights to float32. */
    static void blendV(T a, T b, int blendExtent) {
        int e = Math.min(Math.min(a.h(), b.h()), blendExtent);
        for (int y = 0; y < e; y++) {
            float wa = (float) (1 - (double) y / e), wb = (float) ((double) y / e);
            for (int c = 0; c < b.p(); c++)
                for (int t = 0; t < b.f(); t++)
                    for (int x = 0; x < b.w(); x++) b.d()[b.at(c, t, y, x)] = a.d()[a.at(c, t, a.h() - e + y, x)] * wa + b.d()[b.at(c, t, y, x)] * wb;
        }
    }

    static void blendH(T a, T b, int blendExtent) {
        int e = Math.min(Math.min(a.w(), b.w()), blendExtent);
        for (int x = 0; x < e; x++) {
            float wa = (float) (1 - (double) x / e), wb = (float) ((double) x / e);
            for (int c = 0; c < b.p(); c++)
                for (int t = 0; t < b.f(); t++)
                    for (int y = 0; y < b.h(); y++) b.d()[b.at(c, t, y, x)] = a.d()[a.at(c, t, y, a.w() - e + x)] * wa + b.d()[b.at(c, t, y, x)] * wb;
        }
    }

    static void blendT(T a, T b, int blendExtent) {
        int e = Math.min(Math.min(a.f(), b.f()), blendExtent);
        for (int t = 0; t < e; t++) {
            float wa = (float) (1 - (double) t / e), wb = (float) ((double) t / e);
            for (int c = 0; c < b.p(); c++)
                for (int y = 0; y < b.h(); y++)
                    for (int x = 0; x < b.w(); x++) b.d()[b.at(c, t, y, x)] = a.d()[a.at(c, a.f() - e + t, y, x)] * wa + b.d()[b.at(c, t, y, x)] * wb;
        }
    }

    /** torch.cat along dim 1 (frames), 2 (height) or 3 (width) of (B·C, F, H, W). */
    static T cat(List<T> parts, int dim) {
        T first = parts.getFirst();
        int f = first.f(), h = first.h(), w = first.w(), total = 0;
        for (T t : parts) total += dim == 1 ? t.f() : dim == 2 ? t.h() : t.w();
        T out = new T(first.p(), dim == 1 ? total : f, dim == 2 ? total : h, dim == 3 ? total : w);
        int offset = 0;
        for (T t : parts) {
            for (int c = 0; c < t.p(); c++)
                for (int tt = 0; tt < t.f(); tt++)
                    for (int y = 0; y < t.h(); y++)
                        for (int x = 0; x < t.w(); x++) {
                            int o = dim == 1 ? out.at(c, tt + offset, y, x) : dim == 2 ? out.at(c, tt, y + offset, x) : out.at(c, tt, y, x + offset);
                            out.d()[o] = t.d()[t.at(c, tt, y, x)];
                        }
            offset += dim == 1 ? t.f() : dim == 2 ? t.h() : t.w();
        }
        return out;
    }
}
