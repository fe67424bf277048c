package mmgp.models.smolvlm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import mmgp.check.CaseResult;
import mmgp.check.FixtureCases;
import mmgp.check.FixtureRunner;
import mmgp.check.KeptLoaded;
import mmgp.check.TensorComparison;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Numerics;
import mmgp.models.smolvlm.SmolVlmChatTemplate.Item;
import mmgp.models.smolvlm.SmolVlmChatTemplate.Message;
import mmgp.models.smolvlm.SmolVlmImageProcessor.Image;
import mmgp.safetensors.SafetensorsFile;
import mmgp.tensor.GgmlType;

/**
 * Runs the SmolVLM2 golden cases through the engine, for both fixture formats:
 * <ul>
 *   <li>{@code smolvlm2} (model only, ids and pixels given): {@code vision_connector},
 *       {@code forward_2images}, {@code forward_text_left_padded}, {@code generate_greedy};</li>
 *   <li>{@code smolvlm2_processor} (tokenizer, image processor, chat template): {@code chat_text},
 *       {@code image_prompt}, {@code video_prompt}, {@code generate_image}.</li>
 * </ul>
 * A case is recognised by its module and recorded fields, not its name. The checkpoint is
 * converted to F32 GGUFs and run as {@link SmolVlmModel} runs it (libllama text model, libmtmd
 * vision tower + connector); sizes, ids, the number of new tokens and the tolerances come from the
 * fixture, so other tiny SmolVLM configs run unchanged.
 *
 * <p>Tolerances, |ours − golden| ≤ atol + rtol·|golden|: the case's own (fp32_atol/fp32_rtol,
 * scores_atol, pixel_values_atol; 1e-4 + 1e-4·|golden| when it names none) wherever the engine
 * computes what the reference computes in fp32 from the golden's inputs: the text model from the
 * golden image features, the processor. Outputs that pass through libmtmd's vision encoder get a
 * wider floor that belongs to ggml's CPU vision path, not to a fixture ({@link #VISION_ROUTE},
 * {@link #PIPELINE_ROUTE}): ggml_conv_2d builds its im2col in F16 (pixels and the patch kernel are
 * rounded to half) and ggml_gelu uses an fp16 lookup table, a compile-time choice no mtmd setting
 * avoids. A float64 re-implementation of the vision tower matches the goldens to 4e-7 and matches
 * llama.cpp to 1.4e-6 once those roundings are emulated; measured: image features max |diff|
 * 3.4e-4 at |golden| up to 1.36, logits from them up to 7.2e-4, greedy scores 1.2e-4. Token ids, sequences, frame indices,
 * uint8 pixels and texts compare exactly.
 *
 * <p>Numerics: {@link Numerics#FAST} runs the routes {@link SmolVlmUnderstanding} takes by default
 * (flash attention in the vision encoder and the text model, F16 KV cache).
 */
public final class SmolVlmFixtureRunner implements FixtureRunner {
    /** A bound |ours − golden| ≤ atol + rtol·|golden|. */
    public record Tolerance(double atol, double rtol) {
        /** This bound, widened to {@code floor} where that is looser. */
        public Tolerance atLeast(Tolerance floor) {
            return new Tolerance(Math.max(atol, floor.atol), Math.max(rtol, floor.rtol));
        }
    }

    /** The README's suggested fp32 check, for cases that record no tolerance. */
    static final Tolerance DEFAULT = new Tolerance(1e-4, 1e-4);
    /** Floor for image features from libmtmd (F16 im2col, fp16 GELU table; see the class doc). */
    public static final Tolerance VISION_ROUTE = new Tolerance(5e-4, 5e-4);
    /** Floor for logits and scores computed from libmtmd's image features: the vision error propagated. */
    public static final Tolerance PIPELINE_ROUTE = new Tolerance(1e-3, 1e-3);

    private static final Pattern MIN_NEW_TOKENS = Pattern.compile("min_new_tokens\\s*=\\s*(\\d+)");
    private static final Pattern MAX_NEW_TOKENS = Pattern.compile("max_new_tokens\\s*=\\s*(\\d+)");
    private static final Pattern ADD_GENERATION_PROMPT = Pattern.compile("add_generation_prompt\\s*=\\s*(True|False)");
    private static final Pattern ROLE = Pattern.compile("'role'\\s*:\\s*'(\\w+)'");
    private static final Pattern ITEM = Pattern.compile("\\{'type'\\s*:\\s*'(\\w+)'\\s*(?:,\\s*'(\\w+)'\\s*:\\s*'((?:[^'\\\\]|\\\\.)*)')?[^}]*}");

    private final KeptLoaded<SmolVlmModel> model = new KeptLoaded<>();
    private final KeptLoaded<SmolVlmProcessor> processor = new KeptLoaded<>();

    /** Also the processor fixture: same model family, plus tokenizer, image processor and chat template. */
    @Override
    public List<String> models() {
        return List.of("smolvlm2", "smolvlm2_processor");
    }

    @Override
    public CaseResult run(FixtureCases fixture, FixtureCases.Case c, ComputeBackend backend) throws Exception {
        JsonNode spec = c.spec();
        String module = spec.path("module").asText();
        return FixtureRunner.timed(c, (golden, out) -> {
            if (module.contains(".generate")) generate(fixture, c, backend, golden, out);
            else if (module.startsWith("SmolVLMProcessor") && spec.has("video_num_frames")) videoPrompt(fixture, spec, golden, out);
            else if (module.startsWith("SmolVLMProcessor") && spec.has("image_file")) imagePrompt(fixture, spec, golden, out);
            else if (module.startsWith("SmolVLMProcessor") && spec.has("conversation")) chatText(fixture, spec, golden, out);
            else if (module.startsWith("model.vision_model")) visionConnector(fixture, c, backend, golden, out);
            else if (module.contains(".forward")) forward(fixture, c, backend, golden, out);
            else throw new IllegalArgumentException("no SmolVLM check for case '" + c.name() + "' (module " + module + ")");
        });
    }

    // ------------------------------------------------------------------ model cases

    private void visionConnector(FixtureCases fixture, FixtureCases.Case c, ComputeBackend backend, SafetensorsFile golden,
                                 List<TensorComparison> out) throws Exception {
        SmolVlmModel m = model(fixture, backend);
        float[] features = encodeImages(m, golden, "pixel_values");
        out.add(floats("image_features (libmtmd)", features, golden.readFloats("image_features"), fp32(c).atLeast(VISION_ROUTE)));
    }

    private void forward(FixtureCases fixture, FixtureCases.Case c, ComputeBackend backend, SafetensorsFile golden,
                         List<TensorComparison> out) throws Exception {
        SmolVlmModel m = model(fixture, backend);
        int[][] ids = rows(golden, "input_ids");
        int[][] mask = golden.findTensor("attention_mask").isPresent() ? rows(golden, "attention_mask") : ones(ids);
        float[] expected = golden.readFloats("logits");
        Tolerance tol = fp32(c);
        if (golden.findTensor("pixel_values").isEmpty()) {
            forwardText(m, ids, mask, expected, tol, out);
            return;
        }
        if (ids.length != 1 || Arrays.stream(mask[0]).anyMatch(v -> v == 0)) {
            throw new IllegalArgumentException("a forward with images is checked for one unpadded sequence; this one has " + ids.length + " rows");
        }
        float[] features = encodeImages(m, golden, "pixel_values");
        if (golden.findTensor("image_hidden_states").isPresent()) {
            float[] goldenFeatures = golden.readFloats("image_hidden_states");
            out.add(floats("logits (golden image features)", flatten(m.forward(ids[0], goldenFeatures)), expected, tol));
            out.add(floats("image_hidden_states (libmtmd)", features, goldenFeatures, tol.atLeast(VISION_ROUTE)));
        }
        out.add(floats("logits (libmtmd image features)", flatten(m.forward(ids[0], features)), expected, tol.atLeast(PIPELINE_ROUTE)));
    }

    /** A text-only batch, one llama.cpp sequence per row; only attended positions are compared (padded logits are garbage upstream). */
    private static void forwardText(SmolVlmModel m, int[][] ids, int[][] mask, float[] expected, Tolerance tol, List<TensorComparison> out) {
        float[][][] logits = m.forwardBatch(ids, mask);
        int cols = ids[0].length, v = m.nVocab();
        if (expected.length != ids.length * cols * v) {
            throw new IllegalStateException("golden logits hold " + expected.length + " values, not " + ids.length + "×" + cols + "×" + v);
        }
        List<float[]> ours = new ArrayList<>(), gold = new ArrayList<>();
        for (int r = 0; r < ids.length; r++) {
            for (int t = 0; t < cols; t++) {
                if (mask[r][t] == 0) continue;
                ours.add(logits[r][t]);
                gold.add(Arrays.copyOfRange(expected, (r * cols + t) * v, (r * cols + t + 1) * v));
            }
        }
        out.add(floats("logits (" + ours.size() + " attended positions)", flatten(ours.toArray(float[][]::new)),
                flatten(gold.toArray(float[][]::new)), tol));
    }

    /**
     * Greedy generation: sequences exactly, scores (processed logits, EOS at -inf while
     * min_new_tokens masks it) within the case's tolerance. The images come from the case, or from
     * the case of the same fixture with the same input_ids (the processor fixture stores them once);
     * when a case of the fixture records golden features for the same pixels, the text model is also
     * run from those.
     */
    private void generate(FixtureCases fixture, FixtureCases.Case c, ComputeBackend backend, SafetensorsFile golden,
                          List<TensorComparison> out) throws Exception {
        SmolVlmModel m = model(fixture, backend);
        int[][] prompt = rows(golden, "input_ids");
        if (prompt.length != 1) throw new IllegalArgumentException("generate is checked for one sequence; this one has " + prompt.length);
        int[] ids = prompt[0];
        long[] expectedSequence = golden.readLongs("sequences");
        float[] expectedScores = golden.readFloats("scores");
        String call = c.spec().path("call").asText();
        int maxNew = intIn(MAX_NEW_TOKENS, call, (int) golden.tensor("scores").shape()[1]);
        int minNew = intIn(MIN_NEW_TOKENS, call, 0);
        Tolerance scores = scoresTolerance(c);

        float[] pixels = pixelsFor(fixture, c, golden, ids);
        float[] features = pixels == null ? null : encodeImages(m, pixels);
        SmolVlmModel.Generation gen = m.generateGreedy(ids, features, maxNew, minNew);
        String route = features == null ? "" : " (libmtmd image features)";
        out.add(TensorComparison.exact("sequences" + route, longs(gen.sequence()), expectedSequence));
        out.add(floats("scores" + route, flatten(gen.scores()), expectedScores, features == null ? scores : scores.atLeast(PIPELINE_ROUTE)));

        float[] goldenFeatures = pixels == null ? null : goldenFeaturesFor(fixture, c, pixels);
        if (goldenFeatures != null) {
            SmolVlmModel.Generation fromGolden = m.generateGreedy(ids, goldenFeatures, maxNew, minNew);
            out.add(TensorComparison.exact("sequences (golden image features)", longs(fromGolden.sequence()), expectedSequence));
            out.add(floats("scores (golden image features)", flatten(fromGolden.scores()), expectedScores, scores));
        }
        if (c.spec().has("generated_text")) {
            int[] generated = Arrays.copyOfRange(gen.sequence(), ids.length, gen.sequence().length);
            out.add(TensorComparison.text("generated_text", processor(fixture).tokenizer().decode(generated), c.spec().get("generated_text").asText()));
        }
    }

    /** The case's pixel_values, or those of the fixture case with identical input_ids; null for a text-only prompt. */
    private static float[] pixelsFor(FixtureCases fixture, FixtureCases.Case c, SafetensorsFile golden, int[] ids) throws IOException {
        if (golden.findTensor("pixel_values").isPresent()) return golden.readFloats("pixel_values");
        for (FixtureCases.Case other : fixture.cases()) {
            if (other == c || other.file() == null || !Files.isRegularFile(other.file())) continue;
            try (SafetensorsFile g = SafetensorsFile.open(other.file())) {
                if (g.findTensor("pixel_values").isPresent() && g.findTensor("input_ids").isPresent() && Arrays.equals(g.readLongs("input_ids"), longs(ids))) {
                    return g.readFloats("pixel_values");
                }
            }
        }
        if (Arrays.stream(ids).anyMatch(id -> id == imageTokenId(fixture))) {
            throw new IllegalArgumentException(c.name() + " has <image> tokens but no pixel_values, and no case of the fixture has its input_ids with pixels");
        }
        return null;
    }

    /** Golden image features of {@code pixels}' images, from a case recording image_hidden_states for pixels that start with them; else null. */
    private static float[] goldenFeaturesFor(FixtureCases fixture, FixtureCases.Case c, float[] pixels) throws IOException {
        for (FixtureCases.Case other : fixture.cases()) {
            if (other == c || other.file() == null || !Files.isRegularFile(other.file())) continue;
            try (SafetensorsFile g = SafetensorsFile.open(other.file())) {
                if (g.findTensor("image_hidden_states").isEmpty() || g.findTensor("pixel_values").isEmpty()) continue;
                float[] theirs = g.readFloats("pixel_values");
                if (theirs.length < pixels.length || !Arrays.equals(Arrays.copyOf(theirs, pixels.length), pixels)) continue;
                long[] shape = g.tensor("image_hidden_states").shape(); // (n_images, tokens, n_embd)
                long per = theirs.length / shape[0];
                return Arrays.copyOf(g.readFloats("image_hidden_states"), (int) (pixels.length / per * shape[1] * shape[2]));
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ processor cases

    private void chatText(FixtureCases fixture, JsonNode spec, SafetensorsFile golden, List<TensorComparison> out) throws Exception {
        SmolVlmProcessor p = processor(fixture);
        SmolVlmProcessor.Inputs inputs = p.applyChatTemplate(conversation(spec.get("conversation"), null, null), addGenerationPrompt(spec));
        if (inputs.pixels() != null) throw new IllegalStateException("a text-only conversation produced pixel values");
        out.add(TensorComparison.text("prompt", inputs.prompt(), spec.path("prompt").asText()));
        processorIds(p, spec, inputs, golden, out);
    }

    private void imagePrompt(FixtureCases fixture, JsonNode spec, SafetensorsFile golden, List<TensorComparison> out) throws Exception {
        SmolVlmProcessor p = processor(fixture);
        Image image = Image.read(fixture.root().resolve(spec.get("image_file").asText()));
        if (golden.findTensor("image_uint8").isPresent()) out.add(TensorComparison.exact("image_uint8 (PNG decoded as PIL does)", uint8(image), golden.readLongs("image_uint8")));
        List<Message> conversation = conversation(spec.get("conversation"), image, null);
        String prompt = p.renderPrompt(conversation, addGenerationPrompt(spec));
        out.add(TensorComparison.text("prompt", prompt, spec.path("prompt").asText()));

        SmolVlmProcessor.Inputs inputs = p.process(prompt, List.of(image));
        processorIds(p, spec, inputs, golden, out);
        if (spec.has("rows")) out.add(TensorComparison.exact("rows", longs(inputs.pixels().rows()), flatLongs(spec.get("rows"))));
        if (spec.has("cols")) out.add(TensorComparison.exact("cols", longs(inputs.pixels().cols()), flatLongs(spec.get("cols"))));
        pixels(spec, inputs, golden, out);

        // The resize steps: (1) longest edge, (2) up to multiples of max_image_size, (3) the global image (appended last).
        SmolVlmImageProcessor images = p.imageProcessor();
        Image resized = images.resize(image, images.config().size());
        Image forEncoder = images.resizeForVisionEncoder(resized);
        SmolVlmImageProcessor.Split split = images.splitImage(forEncoder);
        Image global = split.frames().getLast();
        if (spec.has("resize_shapes_hwc")) {
            long[] shapes = Stream.of(resized, forEncoder, global).flatMapToLong(i -> Arrays.stream(new long[] {i.height(), i.width(), 3})).toArray();
            out.add(TensorComparison.exact("resize_shapes_hwc", shapes, flatLongs(spec.get("resize_shapes_hwc"))));
        }
        if (golden.findTensor("trace.resize_0_uint8").isPresent()) out.add(TensorComparison.exact("trace.resize_0_uint8", uint8(resized), golden.readLongs("trace.resize_0_uint8")));
        if (golden.findTensor("trace.resize_2_uint8").isPresent()) out.add(TensorComparison.exact("trace.resize_2_uint8", uint8(global), golden.readLongs("trace.resize_2_uint8")));

        // The same conversation through apply_chat_template (render + process in one call) gives the same inputs.
        SmolVlmProcessor.Inputs viaTemplate = p.applyChatTemplate(conversation, addGenerationPrompt(spec));
        out.add(TensorComparison.exact("input_ids (apply_chat_template)", longs(viaTemplate.inputIds()), golden.readLongs("input_ids")));
        out.add(floats("pixel_values (apply_chat_template)", viaTemplate.pixels().pixelValues(), golden.readFloats("pixel_values"), pixelTolerance(spec)));
    }

    private void videoPrompt(FixtureCases fixture, JsonNode spec, SafetensorsFile golden, List<TensorComparison> out) throws Exception {
        SmolVlmProcessor p = processor(fixture);
        if (spec.has("skip_secs")) p = p.withVideoSampler(new SmolVlmVideoSampler(p.videoSampler().config(), spec.get("skip_secs").asDouble()));
        SmolVlmVideoSampler.Video video = SmolVlmVideoSampler.Video.ofFrames(videoFrames(fixture, spec), spec.get("video_fps").asDouble());
        if (spec.has("video_duration_s")) {
            out.add(floats("video_duration_s", new float[] {(float) video.metadata().duration()},
                    new float[] {(float) spec.get("video_duration_s").asDouble()}, new Tolerance(0, 0)));
        }
        JsonNode conversationSpec = spec.has("conversation") ? spec.get("conversation") : conversationOfCall(spec.path("call").asText());
        SmolVlmProcessor.Inputs inputs = p.applyChatTemplate(conversation(conversationSpec, null, video), addGenerationPrompt(spec));
        if (inputs.videos().size() != 1) throw new IllegalStateException("expected one sampled video, got " + inputs.videos().size());
        SmolVlmVideoSampler.SampledVideo sampled = inputs.videos().getFirst();
        out.add(TensorComparison.text("prompt", inputs.prompt(), spec.path("prompt").asText()));
        if (golden.findTensor("frame_indices").isPresent()) out.add(TensorComparison.exact("frame_indices", longs(sampled.frameIndices()), golden.readLongs("frame_indices")));
        if (golden.findTensor("sampled_frames_uint8").isPresent()) {
            out.add(TensorComparison.exact("sampled_frames_uint8", sampled.frames().stream().flatMapToLong(f -> Arrays.stream(uint8(f))).toArray(),
                    golden.readLongs("sampled_frames_uint8")));
        }
        processorIds(p, spec, inputs, golden, out);
        pixels(spec, inputs, golden, out);
        if (golden.findTensor("trace.frame0_resize_0_uint8").isPresent()) {
            Image frame0 = p.imageProcessor().resize(sampled.frames().getFirst(), p.videoSampler().config().videoSize());
            out.add(TensorComparison.exact("trace.frame0_resize_0_uint8", uint8(frame0), golden.readLongs("trace.frame0_resize_0_uint8")));
        }
    }

    /** expanded_prompt, token strings, input_ids and attention_mask, where the case records them. */
    private static void processorIds(SmolVlmProcessor p, JsonNode spec, SmolVlmProcessor.Inputs inputs, SafetensorsFile golden,
                                     List<TensorComparison> out) throws IOException {
        if (spec.has("expanded_prompt")) out.add(TensorComparison.text("expanded_prompt", inputs.expandedPrompt(), spec.get("expanded_prompt").asText()));
        if (spec.has("tokens")) {
            List<String> tokens = Arrays.stream(inputs.inputIds()).mapToObj(id -> p.tokenizer().idToToken(id)).toList();
            List<String> expected = new ArrayList<>();
            spec.get("tokens").forEach(t -> expected.add(t.asText()));
            out.add(TensorComparison.strings("tokens", tokens, expected));
        }
        out.add(TensorComparison.exact("input_ids", longs(inputs.inputIds()), golden.readLongs("input_ids")));
        if (golden.findTensor("attention_mask").isPresent()) out.add(TensorComparison.exact("attention_mask", longs(inputs.attentionMask()), golden.readLongs("attention_mask")));
    }

    /** pixel_values (shape without the batch axis, values within pixel_values_atol) and pixel_attention_mask. */
    private static void pixels(JsonNode spec, SmolVlmProcessor.Inputs inputs, SafetensorsFile golden, List<TensorComparison> out) throws IOException {
        if (inputs.pixels() == null) throw new IllegalStateException("the prompt produced no pixel values");
        long[] shape = golden.tensor("pixel_values").shape(); // (1, n, 3, m, m)
        out.add(TensorComparison.exact("pixel_values shape", inputs.pixels().shape(), Arrays.copyOfRange(shape, 1, shape.length)));
        out.add(floats("pixel_values", inputs.pixels().pixelValues(), golden.readFloats("pixel_values"), pixelTolerance(spec)));
        if (golden.findTensor("pixel_attention_mask").isPresent()) {
            out.add(TensorComparison.exact("pixel_attention_mask", longs(inputs.pixels().pixelAttentionMask()), golden.readLongs("pixel_attention_mask")));
        }
    }

    /** The frame files the case names ("golden/video_frames/frame_000.png .. frame_047.png"): every PNG of that folder, in name order. */
    private static List<Image> videoFrames(FixtureCases fixture, JsonNode spec) throws IOException {
        String first = spec.path("video_frames").asText("").split("\\s+")[0];
        Path folder = first.isEmpty() ? fixture.root().resolve("golden/video_frames") : fixture.root().resolve(first).getParent();
        List<Path> files;
        try (Stream<Path> s = Files.list(folder)) {
            files = s.filter(f -> f.getFileName().toString().endsWith(".png")).sorted().toList();
        }
        int n = spec.path("video_num_frames").asInt(files.size());
        if (files.size() != n) throw new IOException(folder + " holds " + files.size() + " frames, the case says " + n);
        List<Image> frames = new ArrayList<>(n);
        for (Path f : files) frames.add(Image.read(f));
        return frames;
    }

    /** The conversation of a call written as Python ({@code [{'role':'user','content':[{'type':'video',...},{'type':'text','text':'...'}]}]}), one message. */
    static JsonNode conversationOfCall(String call) {
        ObjectMapper json = new ObjectMapper();
        Matcher role = ROLE.matcher(call);
        if (!role.find()) throw new IllegalArgumentException("the case has no conversation and its call names no role: " + call);
        var message = json.createObjectNode().put("role", role.group(1));
        var content = message.putArray("content");
        Matcher item = ITEM.matcher(call.substring(role.end()));
        while (item.find()) {
            var node = content.addObject().put("type", item.group(1));
            if ("text".equals(item.group(2))) node.put("text", item.group(3).replace("\\'", "'"));
        }
        if (content.isEmpty()) throw new IllegalArgumentException("no content items in the call: " + call);
        return json.createArrayNode().add(message);
    }

    private static List<Message> conversation(JsonNode messages, Image image, SmolVlmVideoSampler.Video video) {
        List<Message> out = new ArrayList<>();
        for (JsonNode message : messages) {
            List<Item> items = new ArrayList<>();
            for (JsonNode item : message.get("content")) {
                switch (item.get("type").asText()) {
                    case "text" -> items.add(Item.text(item.get("text").asText()));
                    case "image" -> items.add(Item.image(Objects.requireNonNull(image, "the conversation has an image item but the case gives no image")));
                    case "video" -> items.add(Item.video(Objects.requireNonNull(video, "the conversation has a video item but the case gives no video")));
                    default -> throw new IllegalArgumentException("unexpected conversation item " + item);
                }
            }
            out.add(new Message(message.get("role").asText(), items));
        }
        return out;
    }

    private static boolean addGenerationPrompt(JsonNode spec) {
        Matcher m = ADD_GENERATION_PROMPT.matcher(spec.path("call").asText());
        return !m.find() || m.group(1).equals("True");
    }

    // ------------------------------------------------------------------ loading

    /** The fixture's checkpoint converted to F32 GGUFs and loaded with the backend's threads and numerics; kept across cases. */
    private SmolVlmModel model(FixtureCases fixture, ComputeBackend backend) throws Exception {
        return model.get(List.of(fixture.checkpoint(), backend.numerics()), () -> load(fixture, backend));
    }

    private static SmolVlmModel load(FixtureCases fixture, ComputeBackend backend) throws IOException {
        NativeLogs.warningsOnly(); // llama.cpp and mtmd would log every tensor between the case lines
        JsonNode config = new ObjectMapper().readTree(fixture.checkpoint().resolve("config.json").toFile());
        int context = config.path("text_config").path("max_position_embeddings").asInt(512);
        int sequences = Math.max(1, maxBatch(fixture));
        boolean fast = backend.numerics() == Numerics.FAST;
        Path dir = Files.createTempDirectory("mmgp-check-smolvlm");
        SmolVlmConverter.Output gguf = SmolVlmConverter.convert(fixture.checkpoint(), dir, GgmlType.F32, "smolvlm");
        try {
            // every sequence gets the full trained context, and one decode may take all of them
            return SmolVlmModel.load(gguf.textModel(), gguf.mmproj(),
                    new SmolVlmModel.Options(context * sequences, context * sequences, sequences, backend.threads(), fast, fast));
        } finally {
            for (Path f : List.of(gguf.textModel(), gguf.mmproj(), dir)) {
                try {
                    Files.deleteIfExists(f); // the loaded model no longer reads them (POSIX keeps a mapped file alive)
                } catch (IOException e) {
                    f.toFile().deleteOnExit();
                }
            }
        }
    }

    private SmolVlmProcessor processor(FixtureCases fixture) throws Exception {
        return processor.get(fixture.checkpoint(), () -> SmolVlmProcessor.load(fixture.checkpoint()));
    }

    /** The largest batch any case of the fixture feeds the text model (its input_ids' first dimension). */
    private static int maxBatch(FixtureCases fixture) {
        int max = 1;
        for (FixtureCases.Case c : fixture.cases()) {
            for (String where : List.of("inputs", "outputs")) {
                JsonNode shape = c.spec().path(where).path("input_ids").path("shape");
                if (shape.isArray() && !shape.isEmpty()) max = Math.max(max, shape.get(0).asInt(1));
            }
        }
        return max;
    }

    private static int imageTokenId(FixtureCases fixture) {
        return fixture.document().path("configs").path("model").path("image_token_id").asInt(-1);
    }

    // ------------------------------------------------------------------ helpers

    private static TensorComparison floats(String name, float[] actual, float[] expected, Tolerance t) {
        return TensorComparison.floats(name, actual, expected, t.atol(), t.rtol());
    }

    private static Tolerance fp32(FixtureCases.Case c) {
        return new Tolerance(c.atol(DEFAULT.atol()), c.rtol(DEFAULT.rtol()));
    }

    /** scores_atol alone when the case gives it (as its tolerance reads), else the fp32 tolerance. */
    private static Tolerance scoresTolerance(FixtureCases.Case c) {
        JsonNode t = c.spec().path("tolerance");
        return t.has("scores_atol") ? new Tolerance(t.get("scores_atol").asDouble(), 0) : fp32(c);
    }

    private static Tolerance pixelTolerance(JsonNode spec) {
        JsonNode t = spec.path("tolerance");
        return t.has("pixel_values_atol") ? new Tolerance(t.get("pixel_values_atol").asDouble(), 0) : DEFAULT;
    }

    /** Image features (n_images × tokens × n_embd) of the golden's pixel_values (1, n, 3, S, S), one libmtmd encode per image. */
    private static float[] encodeImages(SmolVlmModel m, SafetensorsFile golden, String name) throws IOException {
        long[] shape = golden.tensor(name).shape();
        if (shape[shape.length - 1] != m.imageSize() || shape[shape.length - 2] != m.imageSize()) {
            throw new IllegalArgumentException(name + " " + Arrays.toString(shape) + " is not of the model's image size " + m.imageSize());
        }
        return encodeImages(m, golden.readFloats(name));
    }

    /** As the model does: each 3 × S × S image is encoded, all-zero padding images are dropped. */
    private static float[] encodeImages(SmolVlmModel m, float[] pixels) {
        int per = 3 * m.imageSize() * m.imageSize();
        if (pixels.length % per != 0) throw new IllegalArgumentException(pixels.length + " pixel values are not whole 3×" + m.imageSize() + "² images");
        List<float[]> features = new ArrayList<>();
        for (int i = 0; i < pixels.length / per; i++) {
            float[] image = Arrays.copyOfRange(pixels, i * per, (i + 1) * per);
            boolean padding = true;
            for (float v : image) if (v != 0) { padding = false; break; }
            if (!padding) features.add(m.encodePixels(image));
        }
        return flatten(features.toArray(float[][]::new));
    }

    private static int[][] rows(SafetensorsFile golden, String name) throws IOException {
        long[] flat = golden.readLongs(name);
        long[] shape = golden.tensor(name).shape();
        int cols = (int) shape[shape.length - 1];
        int[][] out = new int[flat.length / cols][cols];
        for (int i = 0; i < flat.length; i++) out[i / cols][i % cols] = Math.toIntExact(flat[i]);
        return out;
    }

    private static int[][] ones(int[][] ids) {
        int[][] out = new int[ids.length][];
        for (int r = 0; r < ids.length; r++) {
            out[r] = new int[ids[r].length];
            Arrays.fill(out[r], 1);
        }
        return out;
    }

    static float[] flatten(float[][] rows) {
        int n = 0;
        for (float[] r : rows) n += r.length;
        float[] out = new float[n];
        int at = 0;
        for (float[] r : rows) {
            System.arraycopy(r, 0, out, at, r.length);
            at += r.length;
        }
        return out;
    }

    private static long[] longs(int[] values) {
        return Arrays.stream(values).asLongStream().toArray();
    }

    private static long[] flatLongs(JsonNode nested) {
        List<Long> out = new ArrayList<>();
        flatten(nested, out);
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private static void flatten(JsonNode node, List<Long> out) {
        if (node.isArray()) node.forEach(n -> flatten(n, out));
        else out.add(node.asLong());
    }

    private static long[] uint8(Image image) {
        byte[] pixels = image.pixels();
        long[] out = new long[pixels.length];
        for (int i = 0; i < out.length; i++) out[i] = pixels[i] & 0xFF;
        return out;
    }

    private static int intIn(Pattern p, String text, int fallback) {
        Matcher m = p.matcher(text);
        return m.find() ? Integer.parseInt(m.group(1)) : fallback;
    }
}
