package mmgp.models.smolvlm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import mmgp.gguf.GgufWriter;

/**
 * The text model's vocabulary as llama.cpp's converter writes it for a GPT-2 style BPE
 * tokenizer ({@code tokenizer.ggml.model = "gpt2"}): tokens by id, token types, merges,
 * special token ids, add_bos / add_space_prefix flags and the chat template.
 *
 * <p>Two sources: a real Hugging Face tokenizer (slow {@code vocab.json} + {@code merges.txt}
 * + {@code added_tokens.json} / {@code tokenizer_config.json}, or a fast {@code tokenizer.json}),
 * or, for checkpoints without any tokenizer file (test fixtures fed with token ids), a
 * synthetic placeholder vocabulary of {@code vocab_size} tokens that llama.cpp and mtmd can load:
 * the special tokens at their configured ids, {@code <image>} at image_token_id, the idefics3
 * wrapper tokens mtmd looks up, and GPT-2 byte symbols for the rest.
 */
final class SmolVlmVocab {
    /** llama_token_type values (gguf TokenType). */
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    static final String IMAGE = "<image>", FAKE_AROUND_IMAGE = "<fake_token_around_image>", GLOBAL_IMAGE = "<global-img>";

    private static final ObjectMapper JSON = new ObjectMapper();

    final List<String> tokens = new ArrayList<>();
    final List<Integer> types = new ArrayList<>();
    final List<String> merges = new ArrayList<>();
    /** bos, eos, unk, sep, pad, cls, mask → id, in llama.cpp's key order. */
    final Map<String, Integer> specialIds = new LinkedHashMap<>();
    /** add_bos, add_eos... from tokenizer_config.json. */
    final Map<String, Boolean> addSpecial = new LinkedHashMap<>();
    Boolean addSpacePrefix;
    String pre;
    String chatTemplate;
    /** True when no tokenizer file was found and the tokens are placeholders. */
    boolean synthetic;

    private SmolVlmVocab() {}

    static boolean hasTokenizer(Path dir) {
        return Files.isRegularFile(dir.resolve("vocab.json")) || Files.isRegularFile(dir.resolve("tokenizer.json"));
    }

    /**
     * Reads the tokenizer of {@code dir}, or synthesizes one. {@code config} is the merged text
     * config (root keys overlaid with text_config), {@code rootConfig} the saved config.json.
     */
    static SmolVlmVocab load(Path dir, int vocabSize, JsonNode rootConfig) throws IOException {
        SmolVlmVocab v = new SmolVlmVocab();
        if (hasTokenizer(dir)) {
            v.readTokenizer(dir, vocabSize, rootConfig);
        } else {
            v.synthesize(dir, vocabSize, rootConfig);
        }
        return v;
    }

    // ---- a real tokenizer

    private void readTokenizer(Path dir, int vocabSize, JsonNode rootConfig) throws IOException {
        JsonNode tokConfig = readOptional(dir.resolve("tokenizer_config.json"));
        JsonNode tokJson = readOptional(dir.resolve("tokenizer.json"));
        Map<Integer, String> byId = new TreeMap<>();
        // added tokens: content -> (id, special, normalized)
        Map<String, Integer> addedIds = new LinkedHashMap<>();
        Map<Integer, Boolean> addedSpecial = new HashMap<>();

        if (Files.isRegularFile(dir.resolve("vocab.json"))) {
            // Slow GPT2Tokenizer: encoder from vocab.json, added tokens from added_tokens.json and
            // tokenizer_config.json's added_tokens_decoder (which also flags the special ones).
            JSON.readTree(dir.resolve("vocab.json").toFile()).properties().forEach(e -> byId.put(e.getValue().asInt(), e.getKey()));
            JsonNode added = readOptional(dir.resolve("added_tokens.json"));
            added.properties().forEach(e -> {
                byId.put(e.getValue().asInt(), e.getKey());
                addedIds.put(e.getKey(), e.getValue().asInt());
            });
            tokConfig.path("added_tokens_decoder").properties().forEach(e -> {
                int id = Integer.parseInt(e.getKey());
                String content = e.getValue().path("content").asText();
                byId.put(id, content);
                addedIds.put(content, id);
                addedSpecial.put(id, e.getValue().path("special").asBoolean(false));
            });
            merges.addAll(readMergesTxt(dir.resolve("merges.txt")));
        } else {
            // Fast tokenizer only.
            JsonNode model = tokJson.path("model");
            if (!model.path("type").asText().equals("BPE")) throw new IOException(dir.resolve("tokenizer.json") + " is not a BPE tokenizer");
            model.path("vocab").properties().forEach(e -> byId.put(e.getValue().asInt(), e.getKey()));
            for (JsonNode m : model.path("merges")) {
                if (m.isTextual()) {
                    merges.add(m.asText());
                } else {
                    // [a, b] pairs (transformers >= 4.45): spaces inside a part are written as U+0120 + 256 like llama.cpp does
                    merges.add(encodeMergePart(m.get(0).asText()) + " " + encodeMergePart(m.get(1).asText()));
                }
            }
        }
        if (tokJson.has("added_tokens")) {
            for (JsonNode t : tokJson.path("added_tokens")) {
                int id = t.path("id").asInt();
                String content = t.path("content").asText();
                byId.put(id, content);
                addedIds.put(content, id);
                addedSpecial.put(id, t.path("special").asBoolean(false));
            }
        }
        int maxId = byId.isEmpty() ? -1 : ((TreeMap<Integer, String>) byId).lastKey();
        if (maxId >= vocabSize) throw new IOException("tokenizer has token id " + maxId + " but the text config's vocab_size is " + vocabSize);
        for (int i = 0; i < vocabSize; i++) {
            String token = byId.get(i);
            if (token == null) {
                tokens.add("[PAD" + i + "]");
                types.add(UNUSED);
            } else if (addedIds.containsKey(token) && addedIds.get(token) == i) {
                boolean special = addedSpecial.getOrDefault(i, false);
                if (special || looksSpecial(token)) {
                    tokens.add(token);
                    types.add(CONTROL);
                } else {
                    tokens.add(token.replace("\u2581", " "));
                    types.add(USER_DEFINED);
                }
            } else {
                tokens.add(token);
                types.add(NORMAL);
            }
        }

        // Pre-tokenizer: llama.cpp's converter identifies it by hashing the tokenization of a test
        // string, which needs the Python tokenizers. SmolLM's fast tokenizer (digits split one by one,
        // then byte-level) is "smollm"; a slow GPT2Tokenizer applies exactly GPT-2's regex: "gpt-2".
        pre = isSmolLmPreTokenizer(tokJson) ? "smollm" : "gpt-2";

        if (tokConfig.has("add_prefix_space") && tokConfig.get("add_prefix_space").isBoolean()) {
            addSpacePrefix = tokConfig.get("add_prefix_space").asBoolean();
        }
        for (String typ : List.of("bos", "eos", "unk", "sep", "pad", "cls", "mask")) {
            JsonNode add = tokConfig.get("add_" + typ + "_token");
            if (add != null && add.isBoolean()) addSpecial.put(typ, add.asBoolean());
        }
        // Special ids: the token named in tokenizer_config.json (special_tokens_map.json for the
        // missing ones), resolved through the vocabulary; then config.json's *_token_id, like
        // gguf-py's SpecialVocab with a tokenizer.json present.
        JsonNode specialMap = readOptional(dir.resolve("special_tokens_map.json"));
        Map<String, Integer> idOf = new HashMap<>();
        for (var e : byId.entrySet()) idOf.putIfAbsent(e.getValue(), e.getKey());
        for (String typ : List.of("bos", "eos", "unk", "sep", "pad", "cls", "mask")) {
            String content = tokenContent(tokConfig.get(typ + "_token"));
            if (content == null) content = tokenContent(specialMap.get(typ + "_token"));
            if (content != null && idOf.containsKey(content)) putSpecial(typ, idOf.get(content), vocabSize);
        }
        specialIdsFromConfig(rootConfig, vocabSize);

        chatTemplate = readChatTemplate(dir, tokConfig);
    }

    private static boolean isSmolLmPreTokenizer(JsonNode tokJson) {
        JsonNode pt = tokJson.path("pre_tokenizer");
        if (!pt.path("type").asText().equals("Sequence")) return false;
        boolean digits = false, byteLevel = false;
        for (JsonNode p : pt.path("pretokenizers")) {
            if (p.path("type").asText().equals("Digits") && p.path("individual_digits").asBoolean(false)) digits = true;
            if (p.path("type").asText().equals("ByteLevel")) byteLevel = true;
        }
        return digits && byteLevel;
    }

    private static String encodeMergePart(String part) {
        StringBuilder sb = new StringBuilder();
        for (char c : part.toCharArray()) sb.append(c == ' ' ? (char) (' ' + 256) : c);
        return sb.toString();
    }

    private static String tokenContent(JsonNode entry) {
        if (entry == null) return null;
        if (entry.isTextual()) return entry.asText();
        if (entry.isObject() && entry.path("content").isTextual()) return entry.path("content").asText();
        return null;
    }

    /** gguf-py's TextModel.does_token_look_special. */
    private static boolean looksSpecial(String t) {
        return t.equals("<pad>") || t.equals("<mask>") || t.equals("<2mass>") || t.equals("[@BOS@]")
                || (t.startsWith("<|") && t.endsWith("|>"))
                || (t.startsWith("<\uFF5C") && t.endsWith("\uFF5C>"))
                || (t.startsWith("<unused") && t.endsWith(">"));
    }

    /** merges.txt as gguf-py reads it: a first line starting with '#' is a header; blank and malformed lines are skipped. */
    private static List<String> readMergesTxt(Path file) throws IOException {
        if (!Files.isRegularFile(file)) return List.of();
        List<String> lines = Files.readAllLines(file);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (i == 0 && line.startsWith("#")) continue;
            if (line.isEmpty()) continue;
            String[] parts = line.split("\\s+");
            if (parts.length != 2) continue;
            out.add(parts[0] + " " + parts[1]);
        }
        return out;
    }

    private static String readChatTemplate(Path dir, JsonNode tokConfig) throws IOException {
        if (tokConfig.path("chat_template").isTextual()) return tokConfig.path("chat_template").asText();
        Path jinja = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) return Files.readString(jinja);
        JsonNode ct = readOptional(dir.resolve("chat_template.json"));
        return ct.path("chat_template").isTextual() ? ct.path("chat_template").asText() : null;
    }

    // ---- no tokenizer: placeholders

    private void synthesize(Path dir, int vocabSize, JsonNode rootConfig) throws IOException {
        synthetic = true;
        specialIdsFromConfig(rootConfig, vocabSize);
        JsonNode gen = readOptional(dir.resolve("generation_config.json"));
        for (String typ : List.of("bos", "eos", "pad")) {
            JsonNode id = gen.get(typ + "_token_id");
            if (id != null && id.isInt()) putSpecial(typ, id.asInt(), vocabSize);
        }
        String[] slots = new String[vocabSize];
        int[] slotTypes = new int[vocabSize];
        java.util.function.BiConsumer<Integer, String> reserve = (id, text) -> {
            if (id != null && id >= 0 && id < vocabSize && slots[id] == null) {
                slots[id] = text;
                slotTypes[id] = CONTROL;
            }
        };
        reserve.accept(specialIds.get("bos"), "<|im_start|>");
        reserve.accept(specialIds.get("eos"), "<end_of_utterance>");
        reserve.accept(specialIds.get("pad"), "<|im_end|>");
        if (!specialIds.containsKey("unk") && slots[0] == null) putSpecial("unk", 0, vocabSize);
        reserve.accept(specialIds.get("unk"), "<|endoftext|>");
        int image = rootConfig.path("image_token_id").asInt(-1);
        if (image < 0 || image >= vocabSize) throw new IOException("config.json image_token_id " + image + " is outside vocab_size " + vocabSize);
        if (slots[image] != null) throw new IOException("image_token_id " + image + " collides with special token " + slots[image]);
        reserve.accept(image, IMAGE);
        // mtmd wraps idefics3 images in these (it looks them up by text): next to <image> when free.
        for (String text : List.of(FAKE_AROUND_IMAGE, GLOBAL_IMAGE)) {
            int at = -1;
            for (int id = image + 1; id < vocabSize && at < 0; id++) if (slots[id] == null) at = id;
            for (int id = vocabSize - 1; id >= 0 && at < 0; id--) if (slots[id] == null) at = id;
            if (at < 0) throw new IOException("vocab_size " + vocabSize + " is too small for a placeholder vocabulary");
            reserve.accept(at, text);
        }
        // The rest: GPT-2 byte symbols (space, newline, "\n\n" which mtmd needs, printable ASCII, ...).
        List<String> fill = new ArrayList<>();
        fill.add(byteSymbol(' '));
        fill.add(byteSymbol('\n'));
        fill.add(byteSymbol('\n') + byteSymbol('\n'));
        for (int b = 0; b < 256; b++) {
            String s = byteSymbol(b);
            if (!fill.contains(s)) fill.add(s);
        }
        // printable ASCII first, control bytes last
        fill.sort((a, b) -> Integer.compare(rank(a), rank(b)));
        int next = 0;
        for (int id = 0; id < vocabSize; id++) {
            if (slots[id] != null) continue;
            if (next < fill.size()) {
                slots[id] = fill.get(next++);
                slotTypes[id] = NORMAL;
            } else {
                slots[id] = "<|unused_" + id + "|>";
                slotTypes[id] = UNUSED;
            }
        }
        for (int id = 0; id < vocabSize; id++) {
            tokens.add(slots[id]);
            types.add(slotTypes[id]);
        }
        String nl = byteSymbol('\n');
        if (tokens.contains(nl) && tokens.contains(nl + nl)) merges.add(nl + " " + nl);
        pre = "gpt-2";
    }

    private static int rank(String symbol) {
        // space, newline, double newline, then '!'..'~', then the other printable Latin-1, then remapped control bytes
        if (symbol.equals(byteSymbol(' '))) return -3;
        if (symbol.equals(byteSymbol('\n'))) return -2;
        if (symbol.length() == 2) return -1;
        char c = symbol.charAt(0);
        return c < 256 ? c : 1000 + c;
    }

    /** GPT-2's bytes_to_unicode: printable bytes map to themselves, the others to U+0100 onwards in byte order. */
    static String byteSymbol(int b) {
        if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) return String.valueOf((char) b);
        int n = 0;
        for (int x = 0; x < b; x++) {
            if (!((x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF))) n++;
        }
        return String.valueOf((char) (256 + n));
    }

    // ---- shared

    private void specialIdsFromConfig(JsonNode rootConfig, int vocabSize) {
        for (String typ : List.of("bos", "eos", "unk", "sep", "pad", "cls", "mask")) {
            JsonNode id = rootConfig.get(typ + "_token_id");
            if (id == null || id.isNull()) id = rootConfig.path("text_config").get(typ + "_token_id");
            if (id != null && id.isInt()) putSpecial(typ, id.asInt(), vocabSize);
        }
    }

    /** First value wins, ids outside the vocabulary are skipped (gguf-py's _set_special_token). */
    private void putSpecial(String typ, int id, int vocabSize) {
        if (id < 0 || id >= vocabSize || specialIds.containsKey(typ)) return;
        specialIds.put(typ, id);
    }

    private static JsonNode readOptional(Path file) throws IOException {
        return Files.isRegularFile(file) ? JSON.readTree(file.toFile()) : JSON.createObjectNode();
    }

    /** Writes the tokenizer keys in gguf-py's order. */
    void writeTo(GgufWriter w) {
        if (addSpacePrefix != null) w.putBool("tokenizer.ggml.add_space_prefix", addSpacePrefix);
        w.putString("tokenizer.ggml.model", "gpt2");
        w.putString("tokenizer.ggml.pre", pre);
        w.putStringArray("tokenizer.ggml.tokens", tokens);
        w.putInt32Array("tokenizer.ggml.token_type", types.stream().mapToInt(Integer::intValue).toArray());
        w.putStringArray("tokenizer.ggml.merges", merges);
        // gguf-py has no writer for cls ids nor for add_{unk,pad,cls,mask}_token: it skips them.
        for (var e : specialIds.entrySet()) {
            if (!e.getKey().equals("cls")) w.putUInt32("tokenizer.ggml." + specialKey(e.getKey()), e.getValue());
        }
        for (var e : addSpecial.entrySet()) {
            if (List.of("bos", "eos", "sep").contains(e.getKey())) w.putBool("tokenizer.ggml.add_" + e.getKey() + "_token", e.getValue());
        }
        if (chatTemplate != null) w.putString("tokenizer.chat_template", chatTemplate);
    }

    private static String specialKey(String typ) {
        return switch (typ) {
            case "bos" -> "bos_token_id";
            case "eos" -> "eos_token_id";
            case "unk" -> "unknown_token_id";
            case "sep" -> "seperator_token_id"; // sic, gguf's key
            case "pad" -> "padding_token_id";
            case "mask" -> "mask_token_id";
            default -> throw new IllegalArgumentException(typ);
        };
    }
}
