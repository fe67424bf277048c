package mmgp.models.ltx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import mmgp.tokenizer.AddedTokenSplitter;
import mmgp.tokenizer.PythonStrings;
import mmgp.tokenizer.TokenizerFiles;

/**
 * transformers' slow {@code T5Tokenizer} with {@code legacy=True}, as diffusers' LTX pipeline calls
 * it: {@code tokenizer(prompts, padding="max_length", max_length=N, truncation=True,
 * add_special_tokens=True)}.
 *
 * <p>Per text: split out the added tokens (pad, eos, unk, the {@code <extra_id_k>} sentinels)
 * verbatim, stripping the whitespace next to those configured with lstrip/rstrip; run each piece
 * in between through sentencepiece ({@link SentencePieceModel}, which adds the "▁" prefix itself
 * in legacy mode); map tokens to ids (added tokens first, then the sentencepiece vocabulary, else
 * unk). Then cut to N − 1 ids, append {@code </s>} unless the ids already end with it, and pad
 * with {@code <pad>} to N. The sentinels take the ids after the sentencepiece vocabulary,
 * {@code <extra_id_0>} the highest. Instances are immutable and thread-safe.
 */
public final class T5Tokenizer {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final List<String> NAMED_TOKENS = List.of("eos_token", "unk_token", "pad_token");
    private static final String SPIECE_UNDERLINE = "\u2581";

    private final SentencePieceModel sentencePiece;
    private final Map<String, AddedToken> addedTokens;     // by content
    private final Map<Integer, AddedToken> addedTokensById;
    private final AddedTokenSplitter addedTokenSplitter;
    private final Set<String> allSpecialTokens;
    private final Set<Integer> allSpecialIds;
    private final Set<String> separatelyDecoded;            // transformers' legacy_added_tokens
    private final int eosId;
    private final int padId;
    private final int unkId;
    private final int modelMaxLength;
    private final boolean addPrefixSpace;

    /** Token ids and attention mask of one padded, truncated text. */
    public record Encoding(int[] inputIds, int[] attentionMask) {
        public Encoding {
            Objects.requireNonNull(inputIds, "inputIds");
            Objects.requireNonNull(attentionMask, "attentionMask");
            if (inputIds.length != attentionMask.length) {
                throw new IllegalArgumentException("inputIds and attentionMask differ in length: " + inputIds.length + " vs " + attentionMask.length);
            }
        }

        /** Number of real tokens ({@code </s>} included, padding excluded). */
        public int realLength() {
            int count = 0;
            for (int m : attentionMask) count += m;
            return count;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Encoding that && Arrays.equals(inputIds, that.inputIds) && Arrays.equals(attentionMask, that.attentionMask);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(inputIds) + Arrays.hashCode(attentionMask);
        }

        @Override
        public String toString() {
            return "Encoding[inputIds=" + Arrays.toString(inputIds) + ", attentionMask=" + Arrays.toString(attentionMask) + "]";
        }
    }

    /** transformers' AddedToken: matched verbatim in the raw text; lstrip/rstrip eat the whitespace beside it. */
    public record AddedToken(String content, int id, boolean lstrip, boolean rstrip, boolean singleWord, boolean special) {}

    private T5Tokenizer(SentencePieceModel sentencePiece, List<AddedToken> added, String eos, String pad, String unk,
                        List<String> additionalSpecial, int modelMaxLength, boolean addPrefixSpace) {
        this.sentencePiece = sentencePiece;
        this.modelMaxLength = modelMaxLength;
        this.addPrefixSpace = addPrefixSpace;
        Map<String, AddedToken> byContent = new LinkedHashMap<>();
        Map<Integer, AddedToken> byId = new HashMap<>();
        for (AddedToken t : added) {
            if (t.content().isEmpty() || t.id() < 0) throw new IllegalArgumentException("invalid added token " + t);
            byContent.put(t.content(), t);
            byId.put(t.id(), t);
        }
        // As PreTrainedTokenizer.__init__: a special token not yet added is added under its vocabulary id.
        List<String> specials = new ArrayList<>(List.of(eos, unk, pad));
        specials.addAll(additionalSpecial);
        for (String s : specials) {
            if (byContent.containsKey(s)) continue;
            int id = sentencePiece.pieceToId(s);
            if (id == sentencePiece.unkId() && !s.equals(sentencePiece.idToPiece(id))) {
                throw new IllegalArgumentException("special token " + s + " is neither an added token nor a sentencepiece piece");
            }
            AddedToken t = new AddedToken(s, id, false, false, false, true);
            byContent.put(s, t);
            byId.put(id, t);
        }
        this.addedTokens = Map.copyOf(byContent);
        this.addedTokensById = Map.copyOf(byId);
        this.addedTokenSplitter = new AddedTokenSplitter(byContent.keySet());
        this.allSpecialTokens = Set.copyOf(specials);
        Set<Integer> specialIds = new HashSet<>();
        for (String s : specials) specialIds.add(tokenToId(s));
        this.allSpecialIds = Set.copyOf(specialIds);
        Set<String> separate = new HashSet<>(byContent.keySet());
        separate.removeAll(allSpecialTokens);
        for (String s : additionalSpecial) if (tokenToId(s) >= sentencePiece.size()) separate.add(s);
        this.separatelyDecoded = Set.copyOf(separate);
        this.eosId = tokenToId(eos);
        this.padId = tokenToId(pad);
        this.unkId = tokenToId(unk);
    }

    /**
     * Loads a transformers tokenizer folder: spiece.model, and when present tokenizer_config.json,
     * special_tokens_map.json (overriding the former's token names) and, only for folders whose
     * config has no added_tokens_decoder, added_tokens.json.
     */
    public static T5Tokenizer load(Path folder) throws IOException {
        SentencePieceModel sp = SentencePieceModel.load(folder.resolve("spiece.model"));
        JsonNode config = TokenizerFiles.readOptionalJson(folder.resolve("tokenizer_config.json"));
        JsonNode specialMap = TokenizerFiles.readOptionalJson(folder.resolve("special_tokens_map.json"));
        if (config == null) config = JSON.createObjectNode();

        JsonNode legacy = config.get("legacy");
        if (legacy != null && !legacy.isNull() && !legacy.asBoolean()) {
            throw new IOException(folder + ": legacy=false T5 tokenization (no prefix space before added tokens) is not supported; "
                    + "LTX-Video's tokenizer uses legacy=true");
        }
        if (config.path("split_special_tokens").asBoolean(false)) {
            throw new IOException(folder + ": split_special_tokens=true is not supported");
        }
        Map<String, String> named = new HashMap<>(Map.of("eos_token", "</s>", "unk_token", "<unk>", "pad_token", "<pad>"));
        List<String> additional = new ArrayList<>();
        TokenizerFiles.readNamedTokens(config, NAMED_TOKENS, named, additional);
        if (specialMap != null) TokenizerFiles.readNamedTokens(specialMap, NAMED_TOKENS, named, additional);

        int extraIds = config.path("extra_ids").asInt(100);
        List<AddedToken> added = new ArrayList<>();
        JsonNode decoder = config.get("added_tokens_decoder");
        if (decoder != null && decoder.isObject()) {
            for (Map.Entry<String, JsonNode> e : decoder.properties()) {
                JsonNode t = e.getValue();
                String content = TokenizerFiles.tokenContent(t);
                if (content == null) throw new IOException(folder + ": added token " + e.getKey() + " has no content");
                int id;
                try {
                    id = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    throw new IOException(folder + ": added token id is not an int: " + e.getKey(), ex);
                }
                added.add(new AddedToken(content, id, t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false),
                        t.path("single_word").asBoolean(false), t.path("special").asBoolean(false)));
            }
        } else {
            // T5Tokenizer's own defaults: the sentinels right after the sentencepiece vocabulary,
            // eating the whitespace on both sides.
            if (additional.isEmpty()) for (int i = 0; i < extraIds; i++) additional.add("<extra_id_" + i + ">");
            for (int i = 0; i < extraIds; i++) added.add(new AddedToken("<extra_id_" + i + ">", sp.size() - 1 + extraIds - i, true, true, false, true));
            JsonNode addedJson = TokenizerFiles.readOptionalJson(folder.resolve("added_tokens.json"));
            if (addedJson != null) {
                Set<String> known = new HashSet<>();
                added.forEach(t -> known.add(t.content()));
                for (Map.Entry<String, JsonNode> e : addedJson.properties()) {
                    if (known.contains(e.getKey())) continue;
                    if (!e.getValue().canConvertToInt()) throw new IOException(folder + ": added_tokens.json id of " + e.getKey() + " is not an int");
                    added.add(new AddedToken(e.getKey(), e.getValue().intValue(), false, false, false, additional.contains(e.getKey())));
                }
            }
        }
        JsonNode maxLength = config.get("model_max_length");
        int modelMaxLength = maxLength != null && maxLength.canConvertToInt() ? maxLength.intValue() : 512;
        boolean addPrefixSpace = config.path("add_prefix_space").asBoolean(true);
        try {
            return new T5Tokenizer(sp, added, named.get("eos_token"), named.get("pad_token"), named.get("unk_token"),
                    List.copyOf(additional), modelMaxLength, addPrefixSpace);
        } catch (IllegalArgumentException e) {
            throw new IOException(folder + ": " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- encoding

    /** The tokens of {@code text} (transformers' {@code tokenize}): added tokens verbatim, sentencepiece pieces between. */
    public List<String> tokenize(String text) {
        List<String> parts = addedTokenSplitter.split(text);
        // PreTrainedTokenizer.tokenize: an added token with rstrip eats the whitespace that
        // follows it, lstrip the whitespace before it; single_word glues it to a touching word.
        for (int i = 0; i < parts.size(); i++) {
            AddedToken t = addedTokens.get(parts.get(i));
            if (t == null) continue;
            String left = i > 0 ? parts.get(i - 1) : null;
            String right = i + 1 < parts.size() ? parts.get(i + 1) : null;
            if (t.rstrip() && right != null && !right.isEmpty()) parts.set(i + 1, PythonStrings.strip(right, true, false));
            if (t.lstrip() && left != null && !left.isEmpty()) parts.set(i - 1, PythonStrings.strip(left, false, true));
            // The single_word tests look at the neighbours as they were before stripping, as transformers does.
            if (t.singleWord() && left != null && !left.isEmpty() && !left.endsWith(" ")) {
                parts.set(i - 1, parts.get(i - 1) + t.content());
                parts.set(i, "");
            } else if (t.singleWord() && right != null && !right.isEmpty() && !right.startsWith(" ")) {
                parts.set(i, t.content() + right);
                parts.set(i + 1, "");
            }
        }
        List<String> tokens = new ArrayList<>();
        for (String part : parts) {
            if (part.isEmpty()) continue;
            if (addedTokens.containsKey(part)) tokens.add(part);
            else tokens.addAll(sentencePiece.encodeAsPieces(part));
        }
        return tokens;
    }

    /** Token ids of {@code text} without {@code </s>}, untruncated. */
    public int[] encode(String text) {
        return tokenize(text).stream().mapToInt(this::tokenToId).toArray();
    }

    /**
     * The text's ids cut to {@code maxLength − 1}, then {@code </s>} (unless the kept ids already
     * end with it, as transformers' {@code _add_eos_if_not_present}), then {@code <pad>} up to
     * {@code maxLength}; the mask is 1 for the text and {@code </s>}, 0 for padding.
     */
    public Encoding encode(String text, int maxLength) {
        if (maxLength < 2) throw new IllegalArgumentException("maxLength must leave room for a token and </s>: " + maxLength);
        int[] ids = encode(text);
        if (ids.length + 1 > maxLength) ids = Arrays.copyOf(ids, maxLength - 1);
        int length = ids.length > 0 && ids[ids.length - 1] == eosId ? ids.length : ids.length + 1;
        int[] inputIds = new int[maxLength];
        int[] mask = new int[maxLength];
        System.arraycopy(ids, 0, inputIds, 0, ids.length);
        inputIds[length - 1] = eosId;
        Arrays.fill(inputIds, length, maxLength, padId);
        Arrays.fill(mask, 0, length, 1);
        return new Encoding(inputIds, mask);
    }

    /** {@link #encode(String, int)} for each text, in order. */
    public List<Encoding> encodeBatch(List<String> texts, int maxLength) {
        List<Encoding> out = new ArrayList<>(texts.size());
        for (String text : texts) out.add(encode(text, maxLength));
        return out;
    }

    /** Added tokens first, then sentencepiece's PieceToId (unk for an unknown piece). */
    public int tokenToId(String token) {
        AddedToken t = addedTokens.get(token);
        return t != null ? t.id() : sentencePiece.pieceToId(token);
    }

    /** The token string of {@code id}: an added token's content, else the sentencepiece piece. */
    public String idToToken(int id) {
        AddedToken t = addedTokensById.get(id);
        if (t != null) return t.content();
        if (id < 0 || id >= sentencePiece.size()) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + size());
        return sentencePiece.idToPiece(id);
    }

    // ---------------------------------------------------------------- decoding

    /** Text of {@code ids}, special tokens included (transformers' {@code decode} defaults). */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * transformers' {@code decode}: sentinels and other non-special added tokens stand alone,
     * joined by single spaces; the rest goes through T5's convert_tokens_to_string (special
     * tokens kept as text with a space before a run of them, pieces decoded by sentencepiece,
     * the first piece's "▁" dropped, outer whitespace stripped).
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> subTexts = new ArrayList<>();
        List<String> current = new ArrayList<>();
        for (int id : ids) {
            if (skipSpecialTokens && allSpecialIds.contains(id)) continue;
            String token = idToToken(id);
            if (separatelyDecoded.contains(token)) {
                if (!current.isEmpty()) {
                    String s = tokensToString(current);
                    if (!s.isEmpty()) subTexts.add(s);
                    current = new ArrayList<>();
                }
                subTexts.add(token);
            } else {
                current.add(token);
            }
        }
        if (!current.isEmpty()) subTexts.add(tokensToString(current));
        return String.join(" ", subTexts);
    }

    /** T5Tokenizer.convert_tokens_to_string. */
    private String tokensToString(List<String> tokens) {
        if (addPrefixSpace && tokens.getFirst().startsWith(SPIECE_UNDERLINE)) tokens.set(0, tokens.getFirst().substring(1));
        StringBuilder out = new StringBuilder();
        List<String> pieces = new ArrayList<>();
        boolean prevSpecial = false;
        for (String token : tokens) {
            if (allSpecialTokens.contains(token)) {
                if (!prevSpecial) out.append(' ');
                out.append(sentencePiece.decodePieces(pieces)).append(token);
                prevSpecial = true;
                pieces.clear();
            } else {
                pieces.add(token);
                prevSpecial = false;
            }
        }
        out.append(sentencePiece.decodePieces(pieces));
        return PythonStrings.strip(out.toString());
    }

    // ---------------------------------------------------------------- accessors

    public int eosId() {
        return eosId;
    }

    public int padId() {
        return padId;
    }

    public int unkId() {
        return unkId;
    }

    /** transformers' {@code vocab_size}: the sentencepiece pieces (the sentinels come after). */
    public int vocabSize() {
        return sentencePiece.size();
    }

    /** transformers' {@code len(tokenizer)}: the highest token id + 1, sentinels included. */
    public int size() {
        int max = sentencePiece.size() - 1;
        for (int id : addedTokensById.keySet()) max = Math.max(max, id);
        return max + 1;
    }

    /** tokenizer_config.json's model_max_length (LTX-Video pads and truncates to its own max_sequence_length). */
    public int modelMaxLength() {
        return modelMaxLength;
    }

    /** The added tokens (specials and sentinels) by content. */
    public Map<String, AddedToken> addedTokens() {
        return addedTokens;
    }

    public SentencePieceModel sentencePiece() {
        return sentencePiece;
    }

    // ---------------------------------------------------------------- helpers
}
