package mmgp.models.amused;

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
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * CLIP byte-level BPE tokenizer reproducing transformers' slow {@code CLIPTokenizer} (4.52, ftfy
 * absent) as diffusers' aMUSEd pipeline calls it:
 * {@code tokenizer(prompts, padding="max_length", truncation=True, max_length=77)}.
 *
 * <p>Pipeline per text: split out added tokens (the special tokens) verbatim; for each piece in
 * between, clean and lowercase it ({@link ClipTextNormalizer}), cut it into words with the CLIP
 * regex ({@link ClipWordSplitter}), map each word's UTF-8 bytes to the byte-level alphabet
 * ({@link ByteLevelAlphabet}), mark the last symbol with {@code </w>}, apply merges lowest rank
 * first, and look the symbols up in the vocabulary (unknown ones become the unk id). Instances
 * are immutable and thread-safe; BPE results are cached per word.
 */
public final class ClipTokenizer {

    /**
     * transformers ranks only merges.txt lines 1..48894 (49152 − 256 byte tokens − 2 specials);
     * any later lines of a longer merges file are ignored, here too.
     */
    static final int MAX_MERGES = 49152 - 256 - 2;

    /** CLIP's text context length, used when a tokenizer_config.json gives no model_max_length. */
    static final int DEFAULT_MODEL_MAX_LENGTH = 77;

    private static final String END_OF_WORD = "</w>";

    // The reference pre-seeds its BPE cache with these two literals (not the configured specials),
    // so a pre-token equal to one of them stays a single token.
    private static final Set<String> UNSPLIT_LITERALS = Set.of("<|startoftext|>", "<|endoftext|>");

    /** Bounds memory on endless distinct inputs; the reference's cache is unbounded. */
    private static final int WORD_CACHE_LIMIT = 1 << 16;

    private static final List<String> NAMED_TOKENS = List.of("bos_token", "eos_token", "pad_token", "unk_token");


    private final Map<String, Integer> vocab;
    private final BytePairMerges merges;
    private final Map<String, Integer> addedTokens; // matched verbatim in the raw text
    private final AddedTokenSplitter addedTokenSplitter;
    private final Set<String> nonSpecialAddedTokens; // decode keeps these apart, as transformers does
    private final String[] tokenById;
    private final Set<Integer> specialIds;
    private final int bosId;
    private final int eosId;
    private final int padId;
    private final int unkId;
    private final int modelMaxLength;
    private final ConcurrentHashMap<String, int[]> wordCache = new ConcurrentHashMap<>();

    /** Token ids and attention mask of one padded, truncated text. */
    public record Encoding(int[] inputIds, int[] attentionMask) {
        public Encoding {
            Objects.requireNonNull(inputIds, "inputIds");
            Objects.requireNonNull(attentionMask, "attentionMask");
            if (inputIds.length != attentionMask.length) {
                throw new IllegalArgumentException("inputIds and attentionMask differ in length: "
                        + inputIds.length + " vs " + attentionMask.length);
            }
        }

        /** Number of real tokens (BOS and EOS included, padding excluded). */
        public int realLength() {
            int count = 0;
            for (int m : attentionMask) {
                count += m;
            }
            return count;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Encoding that
                    && Arrays.equals(inputIds, that.inputIds)
                    && Arrays.equals(attentionMask, that.attentionMask);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(inputIds) + Arrays.hashCode(attentionMask);
        }

        @Override
        public String toString() {
            return "Encoding[inputIds=" + Arrays.toString(inputIds)
                    + ", attentionMask=" + Arrays.toString(attentionMask) + "]";
        }
    }

    /** The special-token strings and extra added tokens a tokenizer folder configures. */
    private record SpecialTokens(String bos, String eos, String pad, String unk,
                                 List<String> additionalSpecial, Map<String, Integer> addedTokenIds,
                                 int modelMaxLength) {}

    private ClipTokenizer(Map<String, Integer> vocab, BytePairMerges merges,
                          String bos, String eos, String pad, String unk, List<String> additionalSpecial,
                          Map<String, Integer> configuredAddedTokens, int modelMaxLength) {
        if (modelMaxLength < 2) {
            throw new IllegalArgumentException("model max length must leave room for BOS and EOS: " + modelMaxLength);
        }
        this.vocab = Map.copyOf(vocab);
        this.merges = merges;
        this.modelMaxLength = modelMaxLength;

        // Like transformers: configured added tokens keep their ids; a special token not among
        // them is added under its vocabulary id.
        LinkedHashMap<String, Integer> added = new LinkedHashMap<>(configuredAddedTokens);
        List<String> specials = new ArrayList<>(List.of(bos, eos, unk, pad));
        specials.addAll(additionalSpecial);
        for (String special : specials) {
            if (!added.containsKey(special)) {
                Integer id = this.vocab.get(special);
                if (id == null) {
                    throw new IllegalArgumentException("special token " + special
                            + " is neither in the vocabulary nor among the added tokens");
                }
                added.put(special, id);
            }
        }
        for (Map.Entry<String, Integer> entry : added.entrySet()) {
            if (entry.getKey().isEmpty() || entry.getValue() < 0) {
                throw new IllegalArgumentException("invalid added token " + entry);
            }
        }
        this.addedTokens = Collections.unmodifiableMap(added);
        this.addedTokenSplitter = new AddedTokenSplitter(added.keySet());
        Set<String> nonSpecial = new HashSet<>(added.keySet());
        specials.forEach(nonSpecial::remove);
        this.nonSpecialAddedTokens = Set.copyOf(nonSpecial);

        this.bosId = added.get(bos);
        this.eosId = added.get(eos);
        this.padId = added.get(pad);
        // The reference looks unk up in the vocabulary first.
        this.unkId = this.vocab.getOrDefault(unk, added.get(unk));
        Set<Integer> specialIdSet = new HashSet<>();
        for (String special : specials) {
            specialIdSet.add(added.get(special));
        }
        this.specialIds = Set.copyOf(specialIdSet);

        int highestId = -1;
        for (int id : this.vocab.values()) {
            if (id < 0) {
                throw new IllegalArgumentException("negative token id " + id + " in vocabulary");
            }
            highestId = Math.max(highestId, id);
        }
        for (int id : added.values()) {
            highestId = Math.max(highestId, id);
        }
        this.tokenById = new String[highestId + 1];
        this.vocab.forEach((token, id) -> tokenById[id] = token);
        added.forEach((token, id) -> tokenById[id] = token); // added tokens win, as in transformers
    }

    /**
     * Loads a Hugging Face tokenizer folder: vocab.json, merges.txt and, when present,
     * tokenizer_config.json and special_tokens_map.json (the latter overriding the former).
     */
    public static ClipTokenizer load(Path tokenizerFolder) throws IOException {
        Map<String, Integer> vocab = TokenizerFiles.readVocab(tokenizerFolder.resolve("vocab.json"));
        List<String> merges = readMergesFile(tokenizerFolder.resolve("merges.txt"));
        SpecialTokens specials = readSpecialTokens(tokenizerFolder);
        return new ClipTokenizer(vocab, BytePairMerges.rank(merges, MAX_MERGES), specials.bos(), specials.eos(), specials.pad(),
                specials.unk(), specials.additionalSpecial(), specials.addedTokenIds(), specials.modelMaxLength());
    }

    /**
     * Builds a tokenizer from in-memory data (e.g. GGUF metadata). {@code merges} are "first second"
     * lines in rank order without the {@code #version} header; the special tokens must be in
     * {@code vocab}.
     */
    public static ClipTokenizer of(Map<String, Integer> vocab, List<String> merges,
                                   String bos, String eos, String pad, String unk, int maxLength) {
        Objects.requireNonNull(vocab, "vocab");
        Objects.requireNonNull(merges, "merges");
        return new ClipTokenizer(vocab, BytePairMerges.rank(merges, MAX_MERGES), Objects.requireNonNull(bos, "bos"),
                Objects.requireNonNull(eos, "eos"), Objects.requireNonNull(pad, "pad"),
                Objects.requireNonNull(unk, "unk"), List.of(), Map.of(), maxLength);
    }

    // ---------------------------------------------------------------- encoding

    /** Token ids of {@code text} without BOS/EOS, untruncated. */
    public int[] encode(String text) {
        IntBuffer ids = new IntBuffer(Math.max(16, text.length() / 3));
        forEachPiece(text, ids::add, word -> ids.addAll(wordIds(word)));
        return ids.toArray();
    }

    /**
     * BOS + the text's tokens cut to {@code maxLength − 2} + EOS, then pad tokens up to
     * {@code maxLength}; the mask is 1 for BOS, text tokens and EOS and 0 for padding.
     */
    public Encoding encode(String text, int maxLength) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must leave room for BOS and EOS: " + maxLength);
        }
        int[] textIds = encode(text);
        int kept = Math.min(textIds.length, maxLength - 2);
        int[] inputIds = new int[maxLength];
        int[] attentionMask = new int[maxLength];
        inputIds[0] = bosId;
        System.arraycopy(textIds, 0, inputIds, 1, kept);
        inputIds[kept + 1] = eosId;
        Arrays.fill(inputIds, kept + 2, maxLength, padId);
        Arrays.fill(attentionMask, 0, kept + 2, 1);
        return new Encoding(inputIds, attentionMask);
    }

    /** {@link #encode(String, int)} for each text, in order. */
    public List<Encoding> encodeBatch(List<String> texts, int maxLength) {
        List<Encoding> encodings = new ArrayList<>(texts.size());
        for (String text : texts) {
            encodings.add(encode(text, maxLength));
        }
        return encodings;
    }

    /** The BPE token strings of {@code text} (transformers' {@code tokenizer.tokenize}). */
    public List<String> tokenize(String text) {
        List<String> tokens = new ArrayList<>();
        forEachPiece(text, id -> tokens.add(tokenById[id]), word -> {
            for (String symbol : bytePairEncode(word)) {
                tokens.add(symbol);
            }
        });
        return tokens;
    }

    /**
     * The words the CLIP regex cuts from {@code text} after cleanup and lowercasing, before the
     * byte-level mapping (added tokens are not split out here).
     */
    static List<String> preTokenize(String text) {
        List<String> words = new ArrayList<>();
        ClipWordSplitter.forEachWord(ClipTextNormalizer.normalize(text), words::add);
        return words;
    }

    /** Splits out added tokens verbatim (leftmost, longest first) and regex-splits the rest. */
    private void forEachPiece(String text, IntConsumer addedTokenSink, Consumer<String> wordSink) {
        addedTokenSplitter.split(text, piece -> forEachWord(piece, wordSink), added -> addedTokenSink.accept(addedTokens.get(added)));
    }

    private static void forEachWord(String piece, Consumer<String> wordSink) {
        if (!piece.isEmpty()) {
            ClipWordSplitter.forEachWord(ClipTextNormalizer.normalize(piece), wordSink);
        }
    }

    private int[] wordIds(String word) {
        int[] cached = wordCache.get(word);
        if (cached != null) {
            return cached;
        }
        List<String> symbols = bytePairEncode(word);
        int[] ids = new int[symbols.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = tokenId(symbols.get(i));
        }
        if (wordCache.size() < WORD_CACHE_LIMIT) {
            wordCache.put(word, ids);
        }
        return ids;
    }

    /** Added tokens first, then the vocabulary, else unk (transformers' convert_tokens_to_ids). */
    private int tokenId(String token) {
        Integer id = addedTokens.get(token);
        if (id == null) {
            id = vocab.get(token);
        }
        return id != null ? id : unkId;
    }

    /** BPE symbols of one regex word, merged exactly like {@code CLIPTokenizer.bpe}. */
    private List<String> bytePairEncode(String word) {
        if (UNSPLIT_LITERALS.contains(word)) {
            return List.of(word);
        }
        String bytes = ByteLevelAlphabet.encode(word);
        List<String> symbols = new ArrayList<>(bytes.length());
        for (int i = 0; i < bytes.length() - 1; i++) {
            symbols.add(String.valueOf(bytes.charAt(i)));
        }
        symbols.add(bytes.charAt(bytes.length() - 1) + END_OF_WORD);

        return merges.merge(symbols);
    }

    // ---------------------------------------------------------------- decoding

    /** Text of {@code ids}, special tokens included (transformers' {@code decode} defaults). */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * Text of {@code ids}: byte-level symbols back to UTF-8 (invalid sequences become U+FFFD),
     * each {@code </w>} a space, outer whitespace stripped. Non-special added tokens are kept as
     * separate space-joined pieces, as transformers does.
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            if (!(skipSpecialTokens && specialIds.contains(id))) {
                tokens.add(token(id));
            }
        }
        return ByteLevelAlphabet.joinDecoded(tokens, nonSpecialAddedTokens::contains, ClipTokenizer::symbolsToText);
    }

    private static String symbolsToText(CharSequence symbols) {
        String text = ByteLevelAlphabet.decodeUtf8Replacing(ByteLevelAlphabet.decode(symbols));
        return PythonStrings.strip(text.replace(END_OF_WORD, " "));
    }

    /** The token string of {@code id}. */
    public String token(int id) {
        if (id < 0 || id >= tokenById.length || tokenById[id] == null) {
            throw new IllegalArgumentException("unknown token id " + id);
        }
        return tokenById[id];
    }

    // ---------------------------------------------------------------- accessors

    public int bosId() {
        return bosId;
    }

    public int eosId() {
        return eosId;
    }

    public int padId() {
        return padId;
    }

    public int unkId() {
        return unkId;
    }

    /** The configured model_max_length (77 for CLIP), the length aMUSEd pads and truncates to. */
    public int modelMaxLength() {
        return modelMaxLength;
    }

    /** Size of vocab.json (transformers' {@code vocab_size}; added tokens not counted). */
    public int vocabSize() {
        return vocab.size();
    }

    // ---------------------------------------------------------------- loading

    /** Lines as transformers reads them: whole file stripped, split on '\n', first (header) line dropped. */
    private static List<String> readMergesFile(Path file) throws IOException {
        String content = PythonStrings.strip(Files.readString(file, StandardCharsets.UTF_8));
        List<String> lines = Arrays.asList(content.split("\n", -1));
        return lines.subList(Math.min(1, lines.size()), lines.size());
    }

    private static SpecialTokens readSpecialTokens(Path folder) throws IOException {
        // CLIPTokenizer's constructor defaults.
        Map<String, String> named = new HashMap<>(Map.of(
                "bos_token", "<|startoftext|>", "eos_token", "<|endoftext|>",
                "pad_token", "<|endoftext|>", "unk_token", "<|endoftext|>"));
        List<String> additionalSpecial = new ArrayList<>();
        Map<String, Integer> addedTokenIds = new LinkedHashMap<>();
        int modelMaxLength = DEFAULT_MODEL_MAX_LENGTH;

        JsonNode config = TokenizerFiles.readOptionalJson(folder.resolve("tokenizer_config.json"));
        if (config != null) {
            TokenizerFiles.readNamedTokens(config, NAMED_TOKENS, named, additionalSpecial);
            JsonNode decoder = config.path("added_tokens_decoder");
            for (Map.Entry<String, JsonNode> entry : decoder.properties()) {
                String content = TokenizerFiles.tokenContent(entry.getValue());
                if (content == null) {
                    throw new IOException("tokenizer_config.json: added token " + entry.getKey() + " has no content");
                }
                try {
                    addedTokenIds.put(content, Integer.parseInt(entry.getKey()));
                } catch (NumberFormatException e) {
                    throw new IOException("tokenizer_config.json: added token id is not an int: " + entry.getKey(), e);
                }
            }
            JsonNode maxLength = config.get("model_max_length");
            if (maxLength != null && maxLength.isNumber() && maxLength.canConvertToInt()) {
                modelMaxLength = maxLength.intValue();
            }
        }
        JsonNode specialTokensMap = TokenizerFiles.readOptionalJson(folder.resolve("special_tokens_map.json"));
        if (specialTokensMap != null) {
            TokenizerFiles.readNamedTokens(specialTokensMap, NAMED_TOKENS, named, additionalSpecial);
        }
        return new SpecialTokens(named.get("bos_token"), named.get("eos_token"), named.get("pad_token"),
                named.get("unk_token"), List.copyOf(additionalSpecial), addedTokenIds, modelMaxLength);
    }

    /** Growable int array; avoids boxing on the hot encode path. */
    private static final class IntBuffer {
        private int[] values;
        private int size;

        IntBuffer(int capacity) {
            values = new int[capacity];
        }

        void add(int value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        void addAll(int[] more) {
            if (size + more.length > values.length) {
                values = Arrays.copyOf(values, Math.max(values.length * 2, size + more.length));
            }
            System.arraycopy(more, 0, values, size, more.length);
            size += more.length;
        }

        int[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
