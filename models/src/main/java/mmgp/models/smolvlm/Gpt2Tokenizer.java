package mmgp.models.smolvlm;

import mmgp.tokenizer.AddedTokenSplitter;
import mmgp.tokenizer.ByteLevelAlphabet;
import mmgp.tokenizer.BytePairMerges;
import mmgp.tokenizer.PythonStrings;

import com.fasterxml.jackson.databind.JsonNode;
import mmgp.tokenizer.TokenizerFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level BPE tokenizer reproducing transformers' slow {@code GPT2Tokenizer} (4.52) as the
 * SmolVLM2 processor uses it.
 *
 * <p>Per text: split out added tokens verbatim (leftmost, longest first; their lstrip/rstrip/
 * single_word flags eat neighbouring whitespace as in {@code PreTrainedTokenizer.tokenize}); cut
 * every piece in between with the GPT-2 regex; map each word's UTF-8 bytes to the byte-level
 * alphabet ({@link ByteLevelAlphabet}); apply merges lowest rank first; look symbols up in the
 * vocabulary (unknown ones become the unk id). No BOS/EOS is added unless tokenizer_config.json
 * says {@code add_bos_token}. The {@code normalized} flag of added tokens is read but, as in the
 * reference, only matters for lower-casing tokenizers, which GPT-2 is not. Instances are immutable
 * and thread-safe; BPE results are cached per word.
 */
public final class Gpt2Tokenizer {

    /** The GPT-2 pre-tokenizer regex; \s is Unicode White_Space as in the {@code regex} module. */
    private static final Pattern WORD_PATTERN = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    /** Bounds memory on endless distinct inputs; the reference's cache is unbounded. */
    private static final int WORD_CACHE_LIMIT = 1 << 16;


    /** An added token with the flags transformers' {@code AddedToken} carries. */
    public record AddedToken(String content, int id, boolean lstrip, boolean rstrip, boolean singleWord,
                             boolean normalized, boolean special) {
        public AddedToken {
            Objects.requireNonNull(content, "content");
            if (content.isEmpty() || id < 0) {
                throw new IllegalArgumentException("invalid added token '" + content + "' with id " + id);
            }
        }
    }

    private final Map<String, Integer> encoder;          // vocab.json
    private final BytePairMerges merges;
    private final Map<String, AddedToken> addedTokens;   // by content
    private final AddedTokenSplitter addedTokenSplitter;
    private final String[] tokenById;
    private final List<String> allSpecialTokens;         // bos, eos, unk, pad, then additional (unique)
    private final Set<Integer> allSpecialIds;
    private final Set<String> legacyAddedTokens;         // decoded as separate pieces
    private final String bosToken;
    private final String eosToken;
    private final String unkToken;
    private final String padToken;
    private final boolean addBosToken;
    private final boolean addPrefixSpace;
    private final boolean cleanUpTokenizationSpaces;
    private final Map<String, String> extraSpecialTokens;
    private final ConcurrentHashMap<String, List<String>> wordCache = new ConcurrentHashMap<>();

    /** Everything a tokenizer folder configures, after transformers' loading rules. */
    public record Config(String bosToken, String eosToken, String unkToken, String padToken,
                         List<String> additionalSpecialTokens, List<AddedToken> addedTokens,
                         boolean addBosToken, boolean addPrefixSpace, boolean cleanUpTokenizationSpaces,
                         Map<String, String> extraSpecialTokens) {
        public Config {
            additionalSpecialTokens = List.copyOf(additionalSpecialTokens);
            addedTokens = List.copyOf(addedTokens);
            extraSpecialTokens = Map.copyOf(extraSpecialTokens);
        }

        /** GPT2Tokenizer's constructor defaults: everything "<|endoftext|>", no pad, nothing added. */
        public static Config gpt2Defaults() {
            return new Config("<|endoftext|>", "<|endoftext|>", "<|endoftext|>", null, List.of(), List.of(),
                    false, false, false, Map.of());
        }
    }

    /**
     * @param vocab  token -> id (vocab.json)
     * @param merges merge lines in rank order, without the {@code #version} header
     */
    public Gpt2Tokenizer(Map<String, Integer> vocab, List<String> merges, Config config) {
        Objects.requireNonNull(config, "config");
        this.encoder = Map.copyOf(vocab);
        this.merges = BytePairMerges.rank(merges, Integer.MAX_VALUE);
        this.bosToken = config.bosToken();
        this.eosToken = config.eosToken();
        this.unkToken = config.unkToken();
        this.padToken = config.padToken();
        this.addBosToken = config.addBosToken();
        this.addPrefixSpace = config.addPrefixSpace();
        this.cleanUpTokenizationSpaces = config.cleanUpTokenizationSpaces();
        this.extraSpecialTokens = config.extraSpecialTokens();

        LinkedHashSet<String> specials = new LinkedHashSet<>();
        for (String token : new String[] {bosToken, eosToken, unkToken, padToken}) {
            if (token != null) {
                specials.add(token);
            }
        }
        specials.addAll(config.additionalSpecialTokens());
        this.allSpecialTokens = List.copyOf(specials);

        // Configured added tokens keep their ids; a special token not among them is added like
        // PreTrainedTokenizer.__init__ does: under its vocabulary id, else at the end.
        LinkedHashMap<String, AddedToken> added = new LinkedHashMap<>();
        for (AddedToken token : config.addedTokens()) {
            added.put(token.content(), token);
        }
        int nextId = encoder.size() + (int) added.keySet().stream().filter(t -> !encoder.containsKey(t)).count();
        for (String special : allSpecialTokens) {
            if (added.containsKey(special)) {
                continue;
            }
            Integer id = encoder.get(special);
            if (id == null) {
                id = nextId++;
            }
            added.put(special, new AddedToken(special, id, false, false, false, false, true));
        }
        this.addedTokens = Collections.unmodifiableMap(added);
        this.addedTokenSplitter = new AddedTokenSplitter(added.keySet());

        int highestId = -1;
        for (int id : encoder.values()) {
            if (id < 0) {
                throw new IllegalArgumentException("negative token id " + id + " in vocabulary");
            }
            highestId = Math.max(highestId, id);
        }
        for (AddedToken token : added.values()) {
            highestId = Math.max(highestId, token.id());
        }
        this.tokenById = new String[highestId + 1];
        encoder.forEach((token, id) -> tokenById[id] = token);
        added.values().forEach(token -> tokenById[token.id()] = token.content()); // added tokens win

        Set<Integer> specialIds = new HashSet<>();
        for (String special : allSpecialTokens) {
            specialIds.add(tokenToId(special));
        }
        this.allSpecialIds = Set.copyOf(specialIds);

        // transformers' _decode keeps these apart: non-special added tokens, plus additional
        // special tokens whose id lies beyond the base vocabulary.
        Set<String> legacy = new HashSet<>(added.keySet());
        legacy.removeAll(allSpecialTokens);
        for (String token : config.additionalSpecialTokens()) {
            if (tokenToId(token) >= encoder.size()) {
                legacy.add(token);
            }
        }
        this.legacyAddedTokens = Set.copyOf(legacy);
    }

    /**
     * Loads a Hugging Face tokenizer folder: vocab.json, merges.txt, tokenizer_config.json and,
     * only when that has no {@code added_tokens_decoder} (the legacy layout), special_tokens_map.json
     * and added_tokens.json, as {@code PreTrainedTokenizerBase._from_pretrained} does.
     */
    public static Gpt2Tokenizer load(Path folder) throws IOException {
        Map<String, Integer> vocab = TokenizerFiles.readVocab(folder.resolve("vocab.json"));
        List<String> merges = readMerges(folder.resolve("merges.txt"));
        return new Gpt2Tokenizer(vocab, merges, readConfig(folder));
    }

    // ---------------------------------------------------------------- encoding

    /** Token ids of {@code text}, without special tokens (add_special_tokens=False). */
    public int[] encode(String text) {
        return encode(text, false);
    }

    /** Token ids of {@code text}; with {@code addSpecialTokens} a BOS is prepended if the config asks for it. */
    public int[] encode(String text, boolean addSpecialTokens) {
        List<String> tokens = tokenize(text);
        int offset = addSpecialTokens && addBosToken ? 1 : 0;
        int[] ids = new int[tokens.size() + offset];
        if (offset == 1) {
            ids[0] = bosId();
        }
        for (int i = 0; i < tokens.size(); i++) {
            ids[i + offset] = tokenToId(tokens.get(i));
        }
        return ids;
    }

    /** The token strings of {@code text} (transformers' {@code tokenizer.tokenize}). */
    public List<String> tokenize(String text) {
        if (addPrefixSpace) {
            text = " " + text; // GPT2Tokenizer.prepare_for_tokenization
        }
        List<String> pieces = addedTokenSplitter.split(text);
        applyAddedTokenFlags(pieces);
        List<String> tokens = new ArrayList<>();
        for (String piece : pieces) {
            if (piece.isEmpty()) {
                continue;
            }
            if (addedTokens.containsKey(piece)) {
                tokens.add(piece);
            } else {
                Matcher words = WORD_PATTERN.matcher(piece);
                while (words.find()) {
                    tokens.addAll(bytePairEncode(ByteLevelAlphabet.encode(words.group())));
                }
            }
        }
        return tokens;
    }

    /** The lstrip/rstrip/single_word handling of {@code PreTrainedTokenizer.tokenize}, in place. */
    private void applyAddedTokenFlags(List<String> pieces) {
        for (int i = 0; i < pieces.size(); i++) {
            AddedToken token = addedTokens.get(pieces.get(i));
            if (token == null) {
                continue;
            }
            String left = i > 0 ? pieces.get(i - 1) : null;
            String right = i < pieces.size() - 1 ? pieces.get(i + 1) : null;
            if (token.rstrip() && right != null && !right.isEmpty()) {
                pieces.set(i + 1, PythonStrings.strip(right, true, false));
            }
            if (token.lstrip() && left != null && !left.isEmpty()) {
                pieces.set(i - 1, PythonStrings.strip(left, false, true));
            }
            if (token.singleWord() && left != null && !left.isEmpty() && !left.endsWith(" ")) {
                pieces.set(i - 1, pieces.get(i - 1) + pieces.get(i));
                pieces.set(i, "");
            } else if (token.singleWord() && right != null && !right.isEmpty() && !right.startsWith(" ")) {
                pieces.set(i + 1, pieces.get(i) + pieces.get(i + 1));
                pieces.set(i, "");
            }
        }
    }

    /** BPE symbols of one byte-level word, merged exactly like {@code GPT2Tokenizer.bpe}. */
    private List<String> bytePairEncode(String word) {
        List<String> cached = wordCache.get(word);
        if (cached != null) {
            return cached;
        }
        List<String> symbols = new ArrayList<>(word.length());
        for (int i = 0; i < word.length(); i++) {
            symbols.add(String.valueOf(word.charAt(i))); // the alphabet is all BMP
        }
        List<String> result = List.copyOf(merges.merge(symbols));
        if (wordCache.size() < WORD_CACHE_LIMIT) {
            wordCache.put(word, result);
        }
        return result;
    }

    // ---------------------------------------------------------------- decoding

    /** Text of {@code ids}, special tokens included (transformers' {@code decode} defaults). */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * Text of {@code ids} as the slow {@code _decode} builds it with spaces_between_special_tokens:
     * runs of byte-level symbols become UTF-8 text (invalid bytes -> U+FFFD), legacy added tokens
     * (e.g. {@code <image>}) stay separate pieces, and the pieces are joined with single spaces.
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            if (skipSpecialTokens && allSpecialIds.contains(id)) {
                continue;
            }
            String token = idToToken(id);
            if (!(skipSpecialTokens && allSpecialTokens.contains(token))) {
                tokens.add(token);
            }
        }
        String text = ByteLevelAlphabet.joinDecoded(tokens, legacyAddedTokens::contains, Gpt2Tokenizer::symbolsToText);
        return cleanUpTokenizationSpaces ? cleanUpTokenization(text) : text;
    }

    private static String symbolsToText(CharSequence symbols) {
        return ByteLevelAlphabet.decodeUtf8Replacing(ByteLevelAlphabet.decode(symbols));
    }

    /** transformers' {@code clean_up_tokenization}. */
    static String cleanUpTokenization(String text) {
        return text.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    // ---------------------------------------------------------------- vocabulary

    /** Added tokens first, then the vocabulary, else unk (transformers' convert_tokens_to_ids). */
    public int tokenToId(String token) {
        AddedToken added = addedTokens.get(token);
        if (added != null) {
            return added.id();
        }
        Integer id = encoder.get(token);
        if (id != null) {
            return id;
        }
        Integer unk = unkToken == null ? null : encoder.get(unkToken);
        if (unk == null) {
            throw new IllegalArgumentException("token '" + token + "' is unknown and there is no unk token in the vocabulary");
        }
        return unk;
    }

    /** The token string of {@code id}. */
    public String idToToken(int id) {
        if (id < 0 || id >= tokenById.length || tokenById[id] == null) {
            throw new IllegalArgumentException("unknown token id " + id);
        }
        return tokenById[id];
    }

    /** Whether {@code token} is matched verbatim (an added or special token). */
    public boolean isAddedToken(String token) {
        return addedTokens.containsKey(token);
    }

    public Map<String, AddedToken> addedTokens() {
        return addedTokens;
    }

    public int bosId() {
        return tokenToId(Objects.requireNonNull(bosToken, "no bos token configured"));
    }

    public int eosId() {
        return tokenToId(Objects.requireNonNull(eosToken, "no eos token configured"));
    }

    public int unkId() {
        return tokenToId(Objects.requireNonNull(unkToken, "no unk token configured"));
    }

    public OptionalInt padId() {
        return padToken == null ? OptionalInt.empty() : OptionalInt.of(tokenToId(padToken));
    }

    public String bosToken() {
        return bosToken;
    }

    public String eosToken() {
        return eosToken;
    }

    /** bos, eos, unk, pad and the additional special tokens, without repeats. */
    public List<String> allSpecialTokens() {
        return allSpecialTokens;
    }

    /**
     * A named extra special token from tokenizer_config.json's {@code extra_special_tokens} (e.g.
     * "image_token"), or {@code fallback} — what {@code getattr(tokenizer, name, fallback)} gives.
     */
    public String extraSpecialToken(String name, String fallback) {
        return extraSpecialTokens.getOrDefault(name, fallback);
    }

    /** Size of vocab.json (transformers' {@code vocab_size}; added tokens not counted). */
    public int vocabSize() {
        return encoder.size();
    }

    /** {@code len(tokenizer)}: the vocabulary plus added tokens not in it. */
    public int size() {
        Set<String> all = new HashSet<>(encoder.keySet());
        all.addAll(addedTokens.keySet());
        return all.size();
    }

    // ---------------------------------------------------------------- loading

    /**
     * Merge lines as GPT2Tokenizer reads them: {@code read().split("\n")[1:-1]}, i.e. the header
     * and the last element dropped (the empty string after a final newline; a real merge if the
     * file lacks one, which the reference then ignores too).
     */
    static List<String> readMerges(Path file) throws IOException {
        String content = Files.readString(file, StandardCharsets.UTF_8);
        List<String> lines = Arrays.asList(content.split("\n", -1));
        if (lines.size() < 2) {
            return List.of();
        }
        return lines.subList(1, lines.size() - 1);
    }

    static Config readConfig(Path folder) throws IOException {
        Config defaults = Config.gpt2Defaults();
        Map<String, String> named = new HashMap<>();
        named.put("bos_token", defaults.bosToken());
        named.put("eos_token", defaults.eosToken());
        named.put("unk_token", defaults.unkToken());
        named.put("pad_token", defaults.padToken());
        List<String> additional = new ArrayList<>();
        List<AddedToken> added = new ArrayList<>();
        boolean addBos = false;
        boolean addPrefixSpace = false;
        boolean cleanUp = false;
        Map<String, String> extra = new HashMap<>();

        JsonNode config = TokenizerFiles.readOptionalJson(folder.resolve("tokenizer_config.json"));
        JsonNode decoder = config == null ? null : config.get("added_tokens_decoder");
        if (config != null) {
            readNamedTokens(config, named, additional);
            addBos = config.path("add_bos_token").asBoolean(false);
            addPrefixSpace = config.path("add_prefix_space").asBoolean(false);
            cleanUp = config.path("clean_up_tokenization_spaces").asBoolean(false);
            for (Map.Entry<String, JsonNode> entry : config.path("extra_special_tokens").properties()) {
                String content = TokenizerFiles.tokenContent(entry.getValue());
                if (content != null) {
                    extra.put(entry.getKey(), content);
                }
            }
        }
        if (decoder != null && decoder.isObject()) {
            for (Map.Entry<String, JsonNode> entry : decoder.properties()) {
                JsonNode token = entry.getValue();
                String content = TokenizerFiles.tokenContent(token);
                if (content == null) {
                    throw new IOException("tokenizer_config.json: added token " + entry.getKey() + " has no content");
                }
                int id;
                try {
                    id = Integer.parseInt(entry.getKey());
                } catch (NumberFormatException e) {
                    throw new IOException("tokenizer_config.json: added token id is not an int: " + entry.getKey(), e);
                }
                // AddedToken defaults: lstrip/rstrip/single_word False, normalized True, special False.
                added.add(new AddedToken(content, id, token.path("lstrip").asBoolean(false),
                        token.path("rstrip").asBoolean(false), token.path("single_word").asBoolean(false),
                        token.path("normalized").asBoolean(true), token.path("special").asBoolean(false)));
            }
        } else {
            // Legacy layout: special_tokens_map.json overrides, added_tokens.json lists extra tokens.
            JsonNode specialMap = TokenizerFiles.readOptionalJson(folder.resolve("special_tokens_map.json"));
            if (specialMap != null) {
                readNamedTokens(specialMap, named, additional);
            }
            JsonNode addedFile = TokenizerFiles.readOptionalJson(folder.resolve("added_tokens.json"));
            if (addedFile != null) {
                Set<String> specials = new HashSet<>(additional);
                named.values().stream().filter(Objects::nonNull).forEach(specials::add);
                for (Map.Entry<String, JsonNode> entry : addedFile.properties()) {
                    boolean special = specials.contains(entry.getKey());
                    added.add(new AddedToken(entry.getKey(), entry.getValue().asInt(), false, false, false,
                            !special, special));
                }
            }
        }
        return new Config(named.get("bos_token"), named.get("eos_token"), named.get("unk_token"),
                named.get("pad_token"), additional, added, addBos, addPrefixSpace, cleanUp, extra);
    }

    private static void readNamedTokens(JsonNode node, Map<String, String> named, List<String> additional) {
        for (String key : List.of("bos_token", "eos_token", "pad_token", "unk_token")) {
            JsonNode value = node.get(key);
            if (value != null) {
                named.put(key, TokenizerFiles.tokenContent(value)); // an explicit null unsets the default
            }
        }
        JsonNode list = node.get("additional_special_tokens");
        if (list != null && list.isArray()) {
            for (JsonNode token : list) {
                String content = TokenizerFiles.tokenContent(token);
                if (content != null && !additional.contains(content)) {
                    additional.add(content);
                }
            }
        }
    }
}
