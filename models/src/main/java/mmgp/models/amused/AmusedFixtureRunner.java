package mmgp.models.amused;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mmgp.api.ImageOptions;
import mmgp.api.ProgressListener;
import mmgp.check.CaseResult;
import mmgp.check.FixtureCases;
import mmgp.check.FixtureRunner;
import mmgp.check.KeptLoaded;
import mmgp.check.TensorComparison;
import mmgp.graph.ComputeBackend;
import mmgp.safetensors.SafetensorsFile;
import mmgp.sampling.RecordedDraws;

/**
 * Runs the aMUSEd golden cases (tokenizer, text_encoder, transformer, vqvae_decode,
 * scheduler_tables, e2e_*) through the engine. Every size comes from the fixture's own config
 * and tensors, so other tiny aMUSEd fixtures run unchanged.
 */
public final class AmusedFixtureRunner implements FixtureRunner {
    private static final Pattern TIMESTEPS = Pattern.compile("timesteps_(\\d+)");
    private static final Pattern TEMPERATURES = Pattern.compile("temperatures_(\\d+)_(tuple|scalar)_(.+)");

    private final KeptLoaded<AmusedModel> model = new KeptLoaded<>();

    @Override
    public List<String> models() {
        return List.of("amused");
    }

    @Override
    public CaseResult run(FixtureCases fixture, FixtureCases.Case c, ComputeBackend backend) throws Exception {
        return runWith(null, fixture, c, backend);
    }

    /** Runs a case on an already loaded model (e.g. from a converted GGUF); null loads the fixture's folder. */
    public CaseResult runWith(AmusedModel loaded, FixtureCases fixture, FixtureCases.Case c, ComputeBackend backend) throws Exception {
        return FixtureRunner.timed(c, (golden, out) -> {
            String module = c.spec().path("module").asText();
            if (c.name().equals("scheduler_tables") || module.startsWith("scheduler")) {
                schedulerTables(golden, out);
            } else {
                AmusedModel m = loaded != null ? loaded : model(fixture, backend);
                double atol = c.atol(1e-4), rtol = c.rtol(1e-4);
                if (c.name().equals("tokenizer") || module.startsWith("tokenizer")) tokenizer(m, c.spec(), golden, out);
                else if (module.startsWith("text_encoder")) textEncoder(m, backend, golden, atol, rtol, out);
                else if (module.startsWith("transformer")) transformer(m, backend, golden, atol, rtol, out);
                else if (module.startsWith("vqvae")) vqDecode(m, backend, golden, atol, rtol, out);
                else if (module.startsWith("AmusedPipeline")) endToEnd(m, backend, c.spec(), golden, atol, out);
                else throw new IllegalArgumentException("no aMUSEd check for case '" + c.name() + "' (module " + module + ")");
            }
        });
    }

    private AmusedModel model(FixtureCases fixture, ComputeBackend backend) throws Exception {
        return model.get(fixture.checkpoint(), () -> AmusedModel.open(fixture.checkpoint(), backend));
    }

    private static void tokenizer(AmusedModel m, JsonNode spec, SafetensorsFile golden, List<TensorComparison> out) throws Exception {
        long[] expectedIds = golden.readLongs("input_ids");
        long[] expectedMask = golden.readLongs("attention_mask");
        int maxLength = (int) golden.tensor("input_ids").shape()[1];
        List<Long> ids = new ArrayList<>(), mask = new ArrayList<>();
        for (JsonNode p : spec.path("prompts")) {
            ClipTokenizer.Encoding e = m.tokenizer().encode(p.asText(), maxLength);
            for (int v : e.inputIds()) ids.add((long) v);
            for (int v : e.attentionMask()) mask.add((long) v);
        }
        out.add(TensorComparison.exact("input_ids", ids.stream().mapToLong(Long::longValue).toArray(), expectedIds));
        out.add(TensorComparison.exact("attention_mask", mask.stream().mapToLong(Long::longValue).toArray(), expectedMask));
    }

    private static void textEncoder(AmusedModel m, ComputeBackend backend, SafetensorsFile golden, double atol, double rtol,
                                    List<TensorComparison> out) throws Exception {
        long[] flat = golden.readLongs("input_ids");
        long[] shape = golden.tensor("input_ids").shape();
        int[][] ids = new int[(int) shape[0]][(int) shape[1]];
        for (int b = 0; b < ids.length; b++) for (int t = 0; t < ids[b].length; t++) ids[b][t] = (int) flat[b * ids[b].length + t];
        ClipTextEncoder.Result r = m.textEncoder().encode(backend, ids);
        out.add(TensorComparison.floats("text_embeds", r.textEmbeds(), golden.readFloats("text_embeds"), atol, rtol));
        out.add(TensorComparison.floats("last_hidden_state", r.lastHidden(), golden.readFloats("last_hidden_state"), atol, rtol));
        out.add(TensorComparison.floats("penultimate_hidden_state", r.penultimateHidden(), golden.readFloats("penultimate_hidden_state"), atol, rtol));
    }

    private static void transformer(AmusedModel m, ComputeBackend backend, SafetensorsFile golden, double atol, double rtol,
                                    List<TensorComparison> out) throws Exception {
        long[] ids = golden.readLongs("input_ids");
        long[] shape = golden.tensor("input_ids").shape(); // (B, H, W)
        float[] logits = m.transformer().forward(backend, ids, golden.readFloats("encoder_hidden_states"), golden.readFloats("pooled_text_emb"),
                golden.readFloats("micro_conds"), (int) shape[0], (int) shape[1], (int) shape[2]);
        out.add(TensorComparison.floats("logits", logits, golden.readFloats("logits"), atol, rtol));
    }

    private static void vqDecode(AmusedModel m, ComputeBackend backend, SafetensorsFile golden, double atol, double rtol,
                                 List<TensorComparison> out) throws Exception {
        long[] shape = golden.tensor("indices").shape(); // (B, h, w)
        float[] sample = m.vqDecoder().decode(backend, golden.readLongs("indices"), (int) shape[0], (int) shape[1], (int) shape[2]);
        out.add(TensorComparison.floats("sample", sample, golden.readFloats("sample"), atol, rtol));
    }

    private static void schedulerTables(SafetensorsFile golden, List<TensorComparison> out) throws Exception {
        for (String name : golden.names()) {
            Matcher ts = TIMESTEPS.matcher(name), temp = TEMPERATURES.matcher(name);
            if (ts.matches()) {
                AmusedScheduler s = AmusedScheduler.annealed(Integer.parseInt(ts.group(1)), 2f, 0f, mmgp.schedule.MaskingSchedule.COSINE);
                out.add(TensorComparison.exact(name, s.timesteps(), golden.readLongs(name)));
            } else if (temp.matches()) {
                int n = Integer.parseInt(temp.group(1));
                String[] v = temp.group(3).split("_");
                AmusedScheduler s = temp.group(2).equals("scalar")
                        ? AmusedScheduler.fromTemperature(n, Float.parseFloat(v[0]), mmgp.schedule.MaskingSchedule.COSINE)
                        : AmusedScheduler.annealed(n, Float.parseFloat(v[0]), Float.parseFloat(v[1]), mmgp.schedule.MaskingSchedule.COSINE);
                out.add(TensorComparison.floats(name, s.temperatures(), golden.readFloats(name), 0, 0));
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException("scheduler_tables has no timesteps_N / temperatures_N_* tensors");
    }

    private static void endToEnd(AmusedModel m, ComputeBackend backend, JsonNode spec, SafetensorsFile golden, double atol,
                                 List<TensorComparison> out) throws Exception {
        JsonNode kw = spec.path("pipeline_kwargs");
        List<String> prompts = new ArrayList<>();
        if (kw.path("prompt").isArray()) kw.path("prompt").forEach(p -> prompts.add(p.asText()));
        else prompts.add(kw.path("prompt").asText());
        ImageOptions.Builder options = ImageOptions.defaults().toBuilder()
                .steps(kw.path("num_inference_steps").asInt(12))
                .guidanceScale((float) kw.path("guidance_scale").asDouble(10))
                .microConditioning((float) kw.path("micro_conditioning_aesthetic_score").asDouble(6),
                        kw.path("micro_conditioning_crop_coord").path(0).asInt(0), kw.path("micro_conditioning_crop_coord").path(1).asInt(0));
        JsonNode temperature = kw.path("temperature");
        if (temperature.isNumber()) options.temperature((float) temperature.asDouble());
        else if (temperature.isArray()) options.temperature((float) temperature.get(0).asDouble(), (float) temperature.get(1).asDouble());
        if (kw.has("width") || kw.has("height")) options.size(kw.path("width").asInt(0), kw.path("height").asInt(0));
        ImageOptions o = options.build();

        if (golden.findTensor("prompt_input_ids").isPresent()) {
            int maxLength = (int) golden.tensor("prompt_input_ids").shape()[1];
            long[] ids = prompts.stream().flatMapToInt(p -> Arrays.stream(m.tokenizer().encode(p, maxLength).inputIds())).asLongStream().toArray();
            out.add(TensorComparison.exact("prompt_input_ids", ids, golden.readLongs("prompt_input_ids")));
        }
        // torch's draws cannot be reproduced outside torch, so the recorded ones are replayed:
        // torch drew a multinomial sample for every token and kept those of masked tokens.
        long[] multinomial = golden.readLongs("steps.multinomial_samples");
        float[] gumbel = golden.readFloats("steps.gumbel_noise");
        int steps = (int) golden.tensor("steps.multinomial_samples").shape()[0];
        int perStep = multinomial.length / steps;
        int maskId = m.maskTokenId();
        AmusedPipeline.Draws replay = (step, sample) -> {
            int[] drawn = new int[perStep];
            int n = 0;
            for (int p = 0; p < perStep; p++) if (sample[p] == maskId) drawn[n++] = (int) multinomial[step * perStep + p];
            RecordedDraws.Builder b = RecordedDraws.builder().categoricals(Arrays.copyOf(drawn, n));
            if (step < steps - 1) b.gumbels(Arrays.copyOfRange(gumbel, step * perStep, (step + 1) * perStep));
            return b.build();
        };
        AmusedPipeline.Images images = AmusedPipeline.generate(m, backend, prompts, o, ProgressListener.NONE, replay);
        out.add(TensorComparison.exact("final_tokens", Arrays.stream(images.tokens()).asLongStream().toArray(), golden.readLongs("final_tokens")));
        out.add(TensorComparison.floats("image", images.pixels(), golden.readFloats("image"), atol, 0));
    }
}
