package mmgp.models.ltx;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import mmgp.api.ProgressListener;
import mmgp.api.VideoOptions;
import mmgp.check.CaseResult;
import mmgp.check.FixtureCases;
import mmgp.check.FixtureRunner;
import mmgp.check.KeptLoaded;
import mmgp.check.TensorComparison;
import mmgp.graph.ComputeBackend;
import mmgp.safetensors.SafetensorsFile;
import mmgp.schedule.FlowMatchEulerScheduler;

/**
 * Runs the LTX-Video golden cases (tokenizer, t5_encoder, transformer, vae_decode,
 * scheduler_tables, e2e_*) through the engine. Sizes come from the fixture's tensors and
 * configs, so other tiny LTX fixtures run unchanged.
 */
public final class LtxFixtureRunner implements FixtureRunner {
    private final KeptLoaded<LtxModel> model = new KeptLoaded<>();

    /** Also the 0.9.5-style fixture: same pipeline, timestep-conditioned VAE and its encoder. */
    @Override
    public List<String> models() {
        return List.of("ltx_video", "ltx_video_095");
    }

    @Override
    public CaseResult run(FixtureCases fixture, FixtureCases.Case c, ComputeBackend backend) throws Exception {
        return FixtureRunner.timed(c, (golden, out) -> {
            String module = c.spec().path("module").asText();
            double atol = c.atol(1e-4), rtol = c.rtol(1e-4);
            if (module.startsWith("scheduler")) {
                schedulerTables(fixture, c.spec(), golden, out);
            } else {
                LtxModel m = model(fixture, backend);
                if (module.startsWith("tokenizer")) tokenizer(m, c.spec(), golden, out);
                else if (module.startsWith("text_encoder")) t5(m, backend, golden, atol, rtol, out);
                else if (module.startsWith("transformer")) transformer(m, backend, c.spec(), golden, atol, rtol, out);
                else if (c.name().equals("vae_encode") || module.startsWith("vae/ encoder")) vaeEncode(m, backend, golden, atol, rtol, out);
                else if (c.spec().has("tiling")) LtxTiledDecodeCase.run(m, backend, c.spec(), golden, atol, rtol, out);
                else if (module.startsWith("LTXImageToVideoPipeline")) LtxImageToVideoCase.run(m, backend, c.spec(), golden, atol, out);
                else if (module.startsWith("vae")) vae(m, backend, golden, atol, rtol, out);
                else if (module.startsWith("LTXPipeline")) endToEnd(m, backend, c.spec(), golden, atol, out);
                else throw new IllegalArgumentException("no LTX-Video check for case '" + c.name() + "' (module " + module + ")");
            }
        });
    }

    private LtxModel model(FixtureCases fixture, ComputeBackend backend) throws Exception {
        return model.get(fixture.checkpoint(), () -> LtxModel.open(fixture.checkpoint(), backend));
    }

    private static int[][] ids(SafetensorsFile golden, String name) throws Exception {
        long[] flat = golden.readLongs(name);
        long[] shape = golden.tensor(name).shape();
        int[][] ids = new int[(int) shape[0]][(int) shape[1]];
        for (int i = 0; i < flat.length; i++) ids[i / ids[0].length][i % ids[0].length] = (int) flat[i];
        return ids;
    }

    private static void tokenizer(LtxModel m, JsonNode spec, SafetensorsFile golden, List<TensorComparison> out) throws Exception {
        int maxLength = (int) golden.tensor("input_ids").shape()[1];
        List<Long> ids = new ArrayList<>(), mask = new ArrayList<>();
        for (JsonNode p : spec.path("prompts")) {
            T5Tokenizer.Encoding e = m.tokenizer().encode(p.asText(), maxLength);
            for (int v : e.inputIds()) ids.add((long) v);
            for (int v : e.attentionMask()) mask.add((long) v);
        }
        out.add(TensorComparison.exact("input_ids", ids.stream().mapToLong(Long::longValue).toArray(), golden.readLongs("input_ids")));
        out.add(TensorComparison.exact("attention_mask", mask.stream().mapToLong(Long::longValue).toArray(), golden.readLongs("attention_mask")));
    }

    private static void t5(LtxModel m, ComputeBackend backend, SafetensorsFile golden, double atol, double rtol, List<TensorComparison> out) throws Exception {
        out.add(TensorComparison.floats("last_hidden_state", m.textEncoder().encode(backend, ids(golden, "input_ids")),
                golden.readFloats("last_hidden_state"), atol, rtol));
    }

    private static void transformer(LtxModel m, ComputeBackend backend, JsonNode spec, SafetensorsFile golden, double atol, double rtol,
                                    List<TensorComparison> out) throws Exception {
        long[] shape = golden.tensor("hidden_states").shape();
        long[] maskLongs = golden.readLongs("encoder_attention_mask");
        boolean[] mask = new boolean[maskLongs.length];
        for (int i = 0; i < mask.length; i++) mask[i] = maskLongs[i] != 0;
        JsonNode scale = spec.path("rope_interpolation_scale");
        var rope = new LtxTransformer.RopeScale(scale.get(0).asDouble(), scale.get(1).asDouble(), scale.get(2).asDouble());
        float[] sample = m.transformer().forward(backend, golden.readFloats("hidden_states"), golden.readFloats("encoder_hidden_states"), mask,
                golden.readFloats("timestep"), (int) shape[0], spec.path("num_frames").asInt(), spec.path("height").asInt(), spec.path("width").asInt(), rope);
        out.add(TensorComparison.floats("sample", sample, golden.readFloats("sample"), atol, rtol));
    }

    private static void vae(LtxModel m, ComputeBackend backend, SafetensorsFile golden, double atol, double rtol, List<TensorComparison> out) throws Exception {
        long[] s = golden.tensor("z").shape(); // (B, C, F', H', W')
        float[] t = golden.findTensor("decode_timestep").isPresent() ? golden.readFloats("decode_timestep") : null;
        float[] video = m.vae().decode(backend, golden.readFloats("z"), t, 0, (int) s[0], (int) s[2], (int) s[3], (int) s[4]);
        out.add(TensorComparison.floats("sample", video, golden.readFloats("sample"), atol, rtol));
        if (t != null && golden.findTensor("sample_timestep_zero").isPresent()) {
            float[] zero = m.vae().decode(backend, golden.readFloats("z"), new float[t.length], 0, (int) s[0], (int) s[2], (int) s[3], (int) s[4]);
            out.add(TensorComparison.floats("sample_timestep_zero", zero, golden.readFloats("sample_timestep_zero"), atol, rtol));
        }
    }

    private static void vaeEncode(LtxModel m, ComputeBackend backend, SafetensorsFile golden, double atol, double rtol, List<TensorComparison> out) throws Exception {
        long[] s = golden.tensor("x").shape(); // (B, 3, F, H, W)
        LtxVaeEncoder.LatentDistribution d = m.vaeEncoder().encodeVideo(backend, golden.readFloats("x"), (int) s[0], (int) s[2], (int) s[3], (int) s[4]);
        out.add(TensorComparison.floats("latent_mean", d.mean(), golden.readFloats("latent_mean"), atol, rtol));
        out.add(TensorComparison.floats("latent_logvar", d.logvar(), golden.readFloats("latent_logvar"), atol, rtol));
    }

    private static void schedulerTables(FixtureCases fixture, JsonNode spec, SafetensorsFile golden, List<TensorComparison> out) throws Exception {
        JsonNode config = fixture.document().path("configs").path("scheduler");
        if (config.isMissingNode()) config = new com.fasterxml.jackson.databind.ObjectMapper().readTree(fixture.checkpoint().resolve("scheduler/scheduler_config.json").toFile());
        var c = FlowMatchEulerScheduler.Config.from(config);
        int steps = (int) golden.tensor("timesteps").shape()[0];
        FlowMatchEulerScheduler s = FlowMatchEulerScheduler.forPipeline(c, steps, spec.path("video_sequence_length").asInt());
        out.add(TensorComparison.floats("sigmas", s.sigmas(), golden.readFloats("sigmas"), 0, 0));
        out.add(TensorComparison.floats("timesteps", s.timesteps(), golden.readFloats("timesteps"), 0, 0));
        // Explicit schedules (distilled models), when the fixture records them: the lists are in the case's call text.
        java.util.regex.Matcher tm = java.util.regex.Pattern.compile("timesteps=\\[([^\\]]*)\\]").matcher(spec.path("call").asText());
        java.util.regex.Matcher sm = java.util.regex.Pattern.compile("set_timesteps\\(sigmas=\\[([^\\]]*)\\]").matcher(spec.path("call").asText());
        if (tm.find() && golden.findTensor("custom_timesteps_timesteps").isPresent()) {
            FlowMatchEulerScheduler e = FlowMatchEulerScheduler.fromTimesteps(c, parseList(tm.group(1)), 0);
            out.add(TensorComparison.floats("custom_timesteps_timesteps", e.timesteps(), golden.readFloats("custom_timesteps_timesteps"), 0, 0));
            out.add(TensorComparison.floats("custom_timesteps_sigmas", e.sigmas(), golden.readFloats("custom_timesteps_sigmas"), 0, 0));
        }
        if (sm.find() && golden.findTensor("custom_sigmas_sigmas").isPresent()) {
            FlowMatchEulerScheduler e = FlowMatchEulerScheduler.fromSigmas(c, parseList(sm.group(1)), 0);
            out.add(TensorComparison.floats("custom_sigmas_timesteps", e.timesteps(), golden.readFloats("custom_sigmas_timesteps"), 0, 0));
            out.add(TensorComparison.floats("custom_sigmas_sigmas", e.sigmas(), golden.readFloats("custom_sigmas_sigmas"), 0, 0));
        }
    }

    private static double[] parseList(String csv) {
        return java.util.Arrays.stream(csv.split(",")).map(String::trim).filter(x -> !x.isEmpty()).mapToDouble(Double::parseDouble).toArray();
    }

    private static void endToEnd(LtxModel m, ComputeBackend backend, JsonNode spec, SafetensorsFile golden, double atol, List<TensorComparison> out) throws Exception {
        JsonNode kw = spec.path("pipeline_kwargs");
        float[] decodeNoise = golden.findTensor("decode_noise").isPresent() ? golden.readFloats("decode_noise") : null;
        List<String> prompts = prompts(kw);
        LtxPipeline.Video v = LtxPipeline.generate(m, backend, prompts, null, options(kw, prompts.size()), ProgressListener.NONE,
                new LtxPipeline.Draws(golden.readFloats("initial_latents_packed"), null, null, decodeNoise), LtxPipeline.Trace.NONE);
        out.add(TensorComparison.floats("final_latents_packed", v.latents(), golden.readFloats("final_latents_packed"), spec.path("tolerance").path("latents_atol").asDouble(atol), 0));
        out.add(TensorComparison.floats("video", v.pixels(), golden.readFloats("video"), atol, 0));
    }

    /**
     * The case's prompts, one per video: one string or a list, each repeated
     * num_videos_per_prompt times in a row as diffusers repeats its embeddings. The decode lists
     * stay one per prompt as diffusers takes them, so they fit only when that makes one per video
     * (or there is one value), as torch's broadcast in the pipeline demands too.
     */
    static List<String> prompts(JsonNode kw) {
        List<String> given = new ArrayList<>();
        if (kw.path("prompt").isArray()) kw.path("prompt").forEach(p -> given.add(p.asText()));
        else given.add(kw.path("prompt").asText());
        JsonNode n = kw.path("num_videos_per_prompt");
        int perPrompt = n.isIntegralNumber() ? n.asInt() : 1; // absent or None: one
        if (perPrompt < 1) throw new IllegalArgumentException("num_videos_per_prompt must be at least 1, got " + kw.path("num_videos_per_prompt"));
        List<String> prompts = new ArrayList<>(given.size() * perPrompt);
        for (String p : given) for (int i = 0; i < perPrompt; i++) prompts.add(p);
        return prompts;
    }

    /** The options of each of a case's {@code videos} from its pipeline_kwargs; absent keys take diffusers' defaults. */
    static List<VideoOptions> options(JsonNode kw, int videos) {
        VideoOptions.Builder b = VideoOptions.defaults().toBuilder().size(kw.path("num_frames").asInt(161), kw.path("width").asInt(704),
                kw.path("height").asInt(512)).steps(kw.path("num_inference_steps").asInt(50)).guidanceScale((float) kw.path("guidance_scale").asDouble(3))
                .frameRate((float) kw.path("frame_rate").asDouble(25)).maxSequenceLength(kw.path("max_sequence_length").asInt(128));
        if (kw.has("negative_prompt")) b.negativePrompt(kw.path("negative_prompt").asText());
        // decode_timestep defaults to 0.0 in the pipelines' signature; either knob may be a list (one per prompt).
        float[] timesteps = kw.has("decode_timestep") ? floats(kw.path("decode_timestep")) : new float[] {0f};
        float[] noiseScales = kw.has("decode_noise_scale") && !kw.path("decode_noise_scale").isNull() ? floats(kw.path("decode_noise_scale")) : null;
        return LtxPipeline.perVideo(b.build(), videos, timesteps, noiseScales);
    }

    /** A number or a list of numbers. */
    static float[] floats(JsonNode n) {
        if (!n.isArray()) return new float[] {(float) n.asDouble()};
        float[] out = new float[n.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) n.get(i).asDouble();
        return out;
    }
}
