package mmgp.models.smolvlm;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import mmgp.gguf.GgufFile;
import mmgp.gguf.GgufMetadata;

/**
 * A {@link SmolVlmProcessor} rebuilt from the two GGUF files alone, for models converted without
 * their Hugging Face folder at hand:
 * <ul>
 *   <li>tokenizer: the GGUF vocabulary (normal tokens → the BPE vocabulary, control tokens →
 *       special added tokens, user-defined tokens → plain added tokens) and merges;</li>
 *   <li>image processor: SmolVLM's defaults (LANCZOS, splitting on, rescale 1/255) with
 *       {@code clip.vision.preproc_image_size} as size, {@code clip.vision.image_size} as the tile
 *       size and the mmproj's mean/std;</li>
 *   <li>video sampling: SmolVLM2's preprocessor_config values (1 fps, at most 64 frames, longest
 *       edge = the tile size), which the GGUF does not carry;</li>
 *   <li>image_seq_len: (image_size / patch_size)² / scale_factor², the connector's output length.</li>
 * </ul>
 * The GGUF keeps the pre-tokenizer only by name, so {@link SmolVlmUnderstanding} tokenizes the
 * prompts of such a processor with llama.cpp's own tokenizer rather than this Java BPE.
 */
public final class SmolVlmGgufProcessor {
    /** SmolVLM2's video_sampling: one frame a second, at most 64. */
    static final double VIDEO_FPS = 1.0;
    static final int VIDEO_MAX_FRAMES = 64;

    private static final int NORMAL = 1, CONTROL = 3, USER_DEFINED = 4;

    private SmolVlmGgufProcessor() {}

    public static SmolVlmProcessor load(Path textModel, Path mmproj) throws IOException {
        Gpt2Tokenizer tokenizer;
        try (GgufFile text = GgufFile.open(textModel)) {
            tokenizer = tokenizer(text.metadata(), textModel);
        }
        try (GgufFile mm = GgufFile.open(mmproj)) {
            GgufMetadata m = mm.metadata();
            String projector = m.getString("clip.projector_type", "");
            if (!projector.equals("idefics3")) throw new IOException(mmproj + " is a '" + projector + "' projector, not SmolVLM's idefics3");
            int tile = m.getInt("clip.vision.image_size");
            int patch = m.getInt("clip.vision.patch_size");
            int scale = m.getInt("clip.vision.projector.scale_factor");
            int longestEdge = m.getInt("clip.vision.preproc_image_size", tile);
            SmolVlmImageProcessor.Config images = new SmolVlmImageProcessor.Config(true, true,
                    SmolVlmImageProcessor.Size.longestEdge(longestEdge), SmolVlmImageProcessor.Resample.LANCZOS, true, tile,
                    true, 1 / 255.0, true, m.getFloatArray("clip.vision.image_mean"), m.getFloatArray("clip.vision.image_std"));
            SmolVlmVideoSampler.Config video = new SmolVlmVideoSampler.Config(VIDEO_FPS, VIDEO_MAX_FRAMES,
                    SmolVlmImageProcessor.Size.longestEdge(tile));
            int side = tile / patch;
            int imageSeqLen = side * side / (scale * scale);
            return new SmolVlmProcessor(tokenizer, new SmolVlmImageProcessor(images), new SmolVlmVideoSampler(video, 1.0),
                    SmolVlmChatTemplate.of(SmolVlmChatTemplate.TEMPLATE), imageSeqLen);
        }
    }

    /** The GGUF vocabulary as a GPT-2 tokenizer (for the processor's token checks and decoding). */
    static Gpt2Tokenizer tokenizer(GgufMetadata m, Path file) throws IOException {
        if (!m.getString("tokenizer.ggml.model", "").equals("gpt2")) {
            throw new IOException(file + " has no GPT-2 BPE vocabulary (tokenizer.ggml.model '" + m.getString("tokenizer.ggml.model", "") + "')");
        }
        List<String> tokens = m.getStringArray("tokenizer.ggml.tokens");
        int[] types = m.getIntArray("tokenizer.ggml.token_type");
        List<String> merges = m.contains("tokenizer.ggml.merges") ? m.getStringArray("tokenizer.ggml.merges") : List.of();
        Map<String, Integer> vocab = new HashMap<>();
        List<Gpt2Tokenizer.AddedToken> added = new ArrayList<>();
        List<String> specials = new ArrayList<>();
        for (int id = 0; id < tokens.size(); id++) {
            String token = tokens.get(id);
            switch (types[id]) {
                case NORMAL -> vocab.putIfAbsent(token, id);
                case CONTROL -> {
                    added.add(new Gpt2Tokenizer.AddedToken(token, id, false, false, false, false, true));
                    specials.add(token);
                }
                case USER_DEFINED -> added.add(new Gpt2Tokenizer.AddedToken(token, id, false, false, false, true, false));
                default -> { } // unused / padding slots
            }
        }
        String bos = named(m, tokens, "tokenizer.ggml.bos_token_id");
        String eos = named(m, tokens, "tokenizer.ggml.eos_token_id");
        String unk = named(m, tokens, "tokenizer.ggml.unknown_token_id");
        String pad = named(m, tokens, "tokenizer.ggml.padding_token_id");
        specials.removeAll(java.util.Arrays.asList(bos, eos, unk, pad));
        Gpt2Tokenizer.Config config = new Gpt2Tokenizer.Config(bos, eos, unk, pad, specials, added,
                m.getBoolean("tokenizer.ggml.add_bos_token", false), false, false, Map.of());
        return new Gpt2Tokenizer(vocab, merges, config);
    }

    private static String named(GgufMetadata m, List<String> tokens, String key) throws IOException {
        int id = m.getInt(key, -1);
        return id >= 0 && id < tokens.size() ? tokens.get(id) : null;
    }
}
