package mmgp.models.ltx;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import mmgp.api.ProgressListener;
import mmgp.check.TensorComparison;
import mmgp.graph.ComputeBackend;
import mmgp.safetensors.SafetensorsFile;

/**
 * The golden case of diffusers' own tiled VAE decode ({@code enable_tiling(...)} and
 * {@code use_framewise_decoding = True}): z and decode_timestep from the golden, the tile
 * settings from the case's {@code tiling} object, the video against {@code sample_tiled}.
 */
final class LtxTiledDecodeCase {
    private LtxTiledDecodeCase() {}

    static void run(LtxModel m, ComputeBackend backend, JsonNode spec, SafetensorsFile golden, double atol, double rtol, List<TensorComparison> out) throws Exception {
        long[] s = golden.tensor("z").shape(); // (B, C, F', H', W')
        float[] t = golden.findTensor("decode_timestep").isPresent() ? golden.readFloats("decode_timestep") : null;
        VaeTiling tiling = tiling(spec.path("tiling"));
        float[] video = m.vae().decode(backend, golden.readFloats("z"), t, 0, (int) s[0], (int) s[2], (int) s[3], (int) s[4], tiling, ProgressListener.NONE);
        out.add(TensorComparison.floats("sample_tiled", video, golden.readFloats("sample_tiled"), atol, rtol));
    }

    /** The case's enable_tiling arguments; framewise decoding is on whenever frame tiles are given, as the case's call sets it. */
    static VaeTiling tiling(JsonNode json) {
        int minH = size(json, "tile_min_height", "tile_min_hw"), minW = size(json, "tile_min_width", "tile_min_hw");
        int strideH = size(json, "tile_stride_height", "tile_stride_hw"), strideW = size(json, "tile_stride_width", "tile_stride_hw");
        boolean framewise = json.has("tile_min_frames");
        int minFrames = framewise ? size(json, "tile_min_frames", "tile_min_frames") : 16;
        int strideFrames = framewise ? size(json, "tile_stride_frames", "tile_stride_frames") : 8;
        return new VaeTiling(true, minH, minW, strideH, strideW, framewise, minFrames, strideFrames, 0);
    }

    private static int size(JsonNode json, String name, String fallback) {
        JsonNode v = json.has(name) ? json.get(name) : json.get(fallback);
        if (v == null || !v.canConvertToInt()) throw new IllegalArgumentException("the case's tiling object has no integer " + name + " or " + fallback + ": " + json);
        return v.asInt();
    }
}
