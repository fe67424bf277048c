package mmgp.models.ltx;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import mmgp.api.ProgressListener;
import mmgp.api.VideoOptions;
import mmgp.check.TensorComparison;
import mmgp.graph.ComputeBackend;
import mmgp.safetensors.SafetensorsFile;

/**
 * The golden case of diffusers' LTXImageToVideoPipeline: the recorded images (uint8 (N, H, W, 3))
 * and every generator draw in order (image latent noise, initial noise, decode noise) go in;
 * the video, and per step the transformer's per-token timestep, the latents given to the
 * scheduler and the guided velocity (both frames 1.. only, unpacked), and the decode inputs
 * are compared. Everything is read from the case: its pipeline_kwargs and tensor shapes.
 */
final class LtxImageToVideoCase {
    private LtxImageToVideoCase() {}

    static void run(LtxModel m, ComputeBackend backend, JsonNode spec, SafetensorsFile golden, double atol, List<TensorComparison> out) throws Exception {
        JsonNode kw = spec.path("pipeline_kwargs");
        List<String> prompts = LtxFixtureRunner.prompts(kw);
        List<VideoOptions> o = LtxFixtureRunner.options(kw, prompts.size());
        double latentsAtol = spec.path("tolerance").path("latents_atol").asDouble(atol);

        long[] imageShape = golden.tensor("image_uint8").shape(); // (N, H, W, 3)
        long[] raw = golden.readLongs("image_uint8");
        int count = (int) imageShape[0], h = (int) imageShape[1], w = (int) imageShape[2];
        List<LtxConditionImage> images = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] px = new byte[h * w * 3];
            for (int j = 0; j < px.length; j++) px[j] = (byte) raw[i * px.length + j];
            images.add(LtxConditionImage.rgb(w, h, px));
        }
        var draws = new LtxPipeline.Draws(null, golden.readFloats("draw_initial_noise"), golden.readFloats("draw_image_latent_noise"),
                golden.readFloats("draw_decode_noise"));

        long[] noiseShape = golden.tensor("draw_initial_noise").shape(); // (B, C, F', H', W')
        int batch = (int) noiseShape[0], channels = (int) noiseShape[1], lf = (int) noiseShape[2], plane = (int) (noiseShape[3] * noiseShape[4]);
        int tokens = lf * plane;
        List<float[]> timesteps = new ArrayList<>(), latentsIn = new ArrayList<>(), guided = new ArrayList<>();
        float[][] decode = new float[3][];
        LtxPipeline.Trace trace = new LtxPipeline.Trace() {
            @Override
            public void step(int step, float[] latents, float[] guidedVelocity, float[] transformerTimestep) {
                timesteps.add(transformerTimestep);
                latentsIn.add(laterFrames(latents, batch, channels, tokens, plane));
                guided.add(laterFrames(guidedVelocity, batch, channels, tokens, plane));
            }

            @Override
            public void decodeInput(float[] denormalized, float[] z, float[] decodeTimesteps) {
                decode[0] = denormalized;
                decode[1] = z;
                decode[2] = decodeTimesteps;
            }
        };
        LtxPipeline.Video v = LtxPipeline.generate(m, backend, prompts, images, o, ProgressListener.NONE, draws, trace);

        compareSteps(out, golden, "steps.transformer_timestep", timesteps, 0);
        compareSteps(out, golden, "steps.latents_in", latentsIn, latentsAtol);
        compareSteps(out, golden, "steps.noise_pred_guided", guided, latentsAtol);
        String[] decodeNames = {"steps.decode_latents_denormalized", "steps.decode_input_z", "steps.decode_timestep"};
        for (int i = 0; i < decodeNames.length; i++) {
            if (golden.findTensor(decodeNames[i]).isEmpty()) continue;
            if (decode[i] == null) throw new IllegalStateException("the case records " + decodeNames[i] + " but the VAE is not timestep-conditioned");
            out.add(TensorComparison.floats(decodeNames[i], decode[i], golden.readFloats(decodeNames[i]), latentsAtol, 0));
        }
        out.add(TensorComparison.floats("video", v.pixels(), golden.readFloats("video"), atol, 0));
    }

    /** Packed (B, T, C) → unpacked (B, C, F' − 1, H', W'): what the pipeline hands scheduler.step. */
    static float[] laterFrames(float[] packed, int batch, int channels, int tokens, int frameTokens) {
        int later = tokens - frameTokens;
        float[] out = new float[batch * channels * later];
        for (int b = 0; b < batch; b++)
            for (int c = 0; c < channels; c++)
                for (int t = 0; t < later; t++) out[(b * channels + c) * later + t] = packed[(b * tokens + frameTokens + t) * channels + c];
        return out;
    }

    private static void compareSteps(List<TensorComparison> out, SafetensorsFile golden, String name, List<float[]> actual, double atol) throws Exception {
        if (golden.findTensor(name).isEmpty()) return;
        int total = actual.stream().mapToInt(a -> a.length).sum();
        float[] all = new float[total];
        int at = 0;
        for (float[] a : actual) {
            System.arraycopy(a, 0, all, at, a.length);
            at += a.length;
        }
        out.add(TensorComparison.floats(name, all, golden.readFloats(name), atol, 0));
    }
}
