package mmgp.models.ltx;

import mmgp.api.VideoOptions;

/** The tiny runs the LTX tests make on the fixtures: 24 fps, the rest as given. */
public final class LtxTestOptions {
    private LtxTestOptions() {}

    public static VideoOptions of(int frames, int width, int height, int steps, float guidance, int maxSequenceLength, long seed) {
        return VideoOptions.defaults().toBuilder().size(frames, width, height).steps(steps).guidanceScale(guidance).frameRate(24f)
                .maxSequenceLength(maxSequenceLength).seed(seed).build();
    }
}
