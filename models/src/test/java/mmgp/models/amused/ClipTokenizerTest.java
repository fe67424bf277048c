package mmgp.models.amused;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Behaviour of the CLIP tokenizer on the fixture vocabulary (704 tokens, 190 merges). Expected
 * token strings follow transformers' CLIPTokenizer rules for that vocabulary: every byte and
 * every byte + "</w>" is a token, longer tokens exist only where a merge builds them.
 */
class ClipTokenizerTest {

    private static final int MAX_LENGTH = 77;
    private static ClipTokenizer tokenizer;
    private static Map<String, Integer> vocab;

    @BeforeAll
    static void load() throws IOException {
        tokenizer = ClipTokenizer.load(ClipTokenizerGoldenTest.TOKENIZER_FOLDER);
        vocab = new ObjectMapper().readValue(ClipTokenizerGoldenTest.TOKENIZER_FOLDER.resolve("vocab.json").toFile(),
                new TypeReference<Map<String, Integer>>() {});
    }

    private static int[] ids(String... tokens) {
        return Arrays.stream(tokens).mapToInt(t -> {
            Integer id = vocab.get(t);
            assertThat(id).as("token %s in fixture vocab", t).isNotNull();
            return id;
        }).toArray();
    }

    // ------------------------------------------------------------ pre-tokenization

    @Test
    void splitsPunctuationNumbersAndContractions() {
        assertThat(ClipTokenizer.preTokenize("Hello, World! 123 it's a TEST"))
                .containsExactly("hello", ",", "world", "!", "1", "2", "3", "it", "'s", "a", "test");
        assertThat(ClipTokenizer.preTokenize("don't stop!!! we'll see, they're 3.14 e-mail"))
                .containsExactly("don", "'t", "stop", "!!!", "we", "'ll", "see", ",", "they", "'re",
                        "3", ".", "1", "4", "e", "-", "mail");
        // The contraction alternatives come first in the regex, even mid-word.
        assertThat(ClipTokenizer.preTokenize("'stuff I'M")).containsExactly("'s", "tuff", "i", "'m");
        // Runs of symbols stay together; digits are always single.
        assertThat(ClipTokenizer.preTokenize("(a)...[b] 2024")).containsExactly("(", "a", ")...[", "b", "]", "2", "0", "2", "4");
    }

    @Test
    void asciiFastPathsAgreeWithTheGeneralPaths() {
        List<String> pieces = new ArrayList<>();
        for (char c = 0; c < 128; c++) {
            pieces.add(String.valueOf(c));
        }
        pieces.addAll(List.of("'s", "'S", "'re", "'LL", "'ve", "'d", "'t", "'m", "'x", "<|startoftext|>",
                "<|EndOfText|>", "<|startof", "Photo", "cat", "   ", "\r\n"));
        Random random = new Random(20240501);
        for (int trial = 0; trial < 20_000; trial++) {
            StringBuilder text = new StringBuilder();
            for (int n = random.nextInt(16); n > 0; n--) {
                text.append(pieces.get(random.nextInt(pieces.size())));
            }
            String ascii = text.toString();
            String normalized = ClipTextNormalizer.normalizeAscii(ascii);
            assertThat(normalized).as("normalize %s", ascii).isEqualTo(ClipTextNormalizer.normalizeUnicode(ascii));

            for (String input : List.of(normalized, ascii)) { // raw text too: upper case, controls
                List<String> fast = new ArrayList<>();
                List<String> regex = new ArrayList<>();
                ClipWordSplitter.splitAscii(input, fast::add);
                ClipWordSplitter.splitWithRegex(input, regex::add);
                assertThat(fast).as("split %s", input).isEqualTo(regex);
            }
        }
    }

    @Test
    void bytePairEncodingFollowsMergeRanks() {
        assertThat(tokenizer.tokenize("painting")).containsExactly("painting</w>");
        assertThat(tokenizer.tokenize("Hello, World!"))
                .containsExactly("h", "e", "l", "l", "o</w>", ",</w>", "wo", "r", "l", "d</w>", "!</w>");
        assertThat(tokenizer.tokenize("don't stop!!!"))
                .containsExactly("d", "on</w>", "'", "t</w>", "st", "o", "p</w>", "!", "!", "!</w>");
        assertThat(tokenizer.encode("a photo of a cat"))
                .containsExactly(ids("a</w>", "photo</w>", "of</w>", "a</w>", "ca", "t</w>"));
    }

    @Test
    void lowerRankMergeWinsAndAllOccurrencesMerge() {
        Map<String, Integer> tiny = new HashMap<>();
        for (String token : List.of("a", "b", "c", "a</w>", "b</w>", "c</w>", "ab", "bc</w>", "abab", "<s>", "</s>")) {
            tiny.put(token, tiny.size());
        }
        ClipTokenizer bcFirst = ClipTokenizer.of(tiny, List.of("b c</w>", "a b"), "<s>", "</s>", "</s>", "</s>", 8);
        ClipTokenizer abFirst = ClipTokenizer.of(tiny, List.of("a b", "b c</w>"), "<s>", "</s>", "</s>", "</s>", 8);

        assertThat(bcFirst.tokenize("abc")).containsExactly("a", "bc</w>");
        assertThat(abFirst.tokenize("abc")).containsExactly("ab", "c</w>");
        assertThat(abFirst.tokenize("ababc")).containsExactly("ab", "ab", "c</w>");
        // A merged symbol missing from the vocabulary becomes unk.
        ClipTokenizer abThenAbab = ClipTokenizer.of(tiny, List.of("a b", "ab ab", "ab c</w>"), "<s>", "</s>", "</s>", "</s>", 8);
        assertThat(abThenAbab.tokenize("ababc")).containsExactly("abab", "c</w>");
        assertThat(abThenAbab.tokenize("abc")).containsExactly("abc</w>");
        assertThat(abThenAbab.encode("abc")).containsExactly(tiny.get("</s>"));
    }

    @Test
    void onlyTheFirst48894MergesAreRanked() {
        Map<String, Integer> tiny = new HashMap<>();
        for (String token : List.of("a", "b", "a</w>", "b</w>", "ab</w>", "<s>", "</s>")) {
            tiny.put(token, tiny.size());
        }
        List<String> merges = new ArrayList<>();
        for (int i = 0; i < ClipTokenizer.MAX_MERGES - 1; i++) {
            merges.add("x" + i + " y");
        }
        merges.add("a b</w>"); // last ranked line
        assertThat(ClipTokenizer.of(tiny, merges, "<s>", "</s>", "</s>", "</s>", 8).tokenize("ab"))
                .containsExactly("ab</w>");

        merges.add(merges.size() - 1, "z y"); // pushes "a b</w>" past the cut-off
        assertThat(ClipTokenizer.of(tiny, merges, "<s>", "</s>", "</s>", "</s>", 8).tokenize("ab"))
                .containsExactly("a", "b</w>");
    }

    // ------------------------------------------------------------ padding and truncation

    @Test
    void emptyPromptIsBosEosThenPadding() {
        for (String empty : List.of("", "   ", "\t\n", "\u0000\u200b")) {
            ClipTokenizer.Encoding encoding = tokenizer.encode(empty, MAX_LENGTH);

            assertThat(encoding.inputIds()).hasSize(MAX_LENGTH);
            assertThat(encoding.inputIds()[0]).isEqualTo(tokenizer.bosId());
            assertThat(encoding.inputIds()[1]).isEqualTo(tokenizer.eosId());
            assertThat(Arrays.copyOfRange(encoding.inputIds(), 2, MAX_LENGTH)).containsOnly(tokenizer.padId());
            assertThat(encoding.attentionMask()[0]).isEqualTo(1);
            assertThat(encoding.attentionMask()[1]).isEqualTo(1);
            assertThat(Arrays.copyOfRange(encoding.attentionMask(), 2, MAX_LENGTH)).containsOnly(0);
            assertThat(encoding.realLength()).isEqualTo(2);
        }
    }

    @Test
    void longPromptIsTruncatedToMaxLengthWithEosLast() {
        String prompt = "a photo of a cat on a chair, ".repeat(20);
        int[] all = tokenizer.encode(prompt);
        assertThat(all.length).isGreaterThan(MAX_LENGTH);

        ClipTokenizer.Encoding encoding = tokenizer.encode(prompt, MAX_LENGTH);

        assertThat(encoding.inputIds()).hasSize(MAX_LENGTH);
        assertThat(encoding.inputIds()[0]).isEqualTo(tokenizer.bosId());
        assertThat(encoding.inputIds()[MAX_LENGTH - 1]).isEqualTo(tokenizer.eosId());
        assertThat(Arrays.copyOfRange(encoding.inputIds(), 1, MAX_LENGTH - 1))
                .containsExactly(Arrays.copyOf(all, MAX_LENGTH - 2));
        assertThat(encoding.attentionMask()).containsOnly(1);
    }

    @Test
    void promptOfExactlyMaxLengthMinusTwoTokensIsNotTruncated() {
        String prompt = "a ".repeat(MAX_LENGTH - 2);
        ClipTokenizer.Encoding encoding = tokenizer.encode(prompt, MAX_LENGTH);

        assertThat(Arrays.copyOfRange(encoding.inputIds(), 1, MAX_LENGTH - 1)).containsOnly(vocab.get("a</w>"));
        assertThat(encoding.inputIds()[MAX_LENGTH - 1]).isEqualTo(tokenizer.eosId());
        assertThat(tokenizer.encode(prompt + "a", MAX_LENGTH)).isEqualTo(encoding);
    }

    @Test
    void shortMaxLengthsAndInvalidOnes() {
        ClipTokenizer.Encoding two = tokenizer.encode("a photo", 2);
        assertThat(two.inputIds()).containsExactly(tokenizer.bosId(), tokenizer.eosId());
        assertThat(two.attentionMask()).containsExactly(1, 1);
        assertThatThrownBy(() -> tokenizer.encode("a", 1)).isInstanceOf(IllegalArgumentException.class);
    }

    // ------------------------------------------------------------ special tokens in the text

    @Test
    void specialTokenStringsInTheTextBecomeTheirIds() {
        assertThat(tokenizer.encode("a<|endoftext|>b"))
                .containsExactly(vocab.get("a</w>"), tokenizer.eosId(), vocab.get("b</w>"));
        assertThat(tokenizer.encode("<|startoftext|>cat")).containsExactly(tokenizer.bosId(), vocab.get("ca"), vocab.get("t</w>"));
        // Not an exact added-token match, but lowercased it hits the regex's literal alternative.
        assertThat(tokenizer.encode("<|STARTOFTEXT|>")).containsExactly(tokenizer.bosId());
        // Half a special token is just punctuation and letters.
        assertThat(tokenizer.tokenize("<|endof")).containsExactly("<", "|</w>", "e", "n", "d", "of</w>");
    }

    // ------------------------------------------------------------ unicode

    @Test
    void accentedLettersKeepTheirAccentsAndFallBackToBytes() {
        // "é" is C3 A9: byte-level chars "Ã" and "©".
        assertThat(tokenizer.tokenize("Café")).containsExactly("ca", "f", "Ã", "©</w>");
        // Decomposed input is NFC-composed first.
        assertThat(tokenizer.encode("Cafe\u0301")).containsExactly(tokenizer.encode("café"));
        assertThat(tokenizer.encode("café")).isNotEqualTo(tokenizer.encode("cafe"));
        assertThat(tokenizer.encode("Ünïcödé")).containsExactly(127, 120, 77, 127, 107, 66, 127, 114, 67, 127, 358);
    }

    @Test
    void emojiAndCjkBecomeByteTokens() {
        // U+1F600 is F0 9F 98 80.
        assertThat(tokenizer.tokenize("😀")).containsExactly("ð", "Ł", "ĺ", "Ģ</w>");
        // CJK ideographs are split into single-character words: 中 = E4 B8 AD, 文 = E6 96 87.
        assertThat(tokenizer.tokenize("中文")).containsExactly("ä", "¸", "Ń</w>", "æ", "ĸ", "ĩ</w>");
        assertThat(tokenizer.encode("中文")).containsExactly(160, 116, 511, 162, 244, 485);
        // Hangul is not split per character.
        assertThat(ClipTokenizer.preTokenize("한국어 ひらがな")).containsExactly("한국어", "ひらがな");
        // Zero-width joiners are control characters to the reference cleanup and vanish.
        assertThat(ClipTokenizer.preTokenize("👨\u200d👩")).containsExactly("👨👩");
    }

    @Test
    void cleanupMatchesPythonLowercaseAndWhitespaceRules() {
        assertThat(ClipTextNormalizer.normalize(" A\tB\u00a0C\u3000D\u2028E\r\n")).isEqualTo("a b c d e");
        assertThat(ClipTextNormalizer.normalize("a\u0000b\ufffdc\u0007d")).isEqualTo("abcd");
        assertThat(ClipTextNormalizer.normalize("ΟΔΟΣ ΣΑ")).isEqualTo("οδος σα");
        // Python's Final_Sigma looks past word-break boundaries; Java's toLowerCase would give σ here.
        assertThat(ClipTextNormalizer.normalize("ⒶΣ")).isEqualTo("ⓐς");
        assertThat(ClipTextNormalizer.normalize("İ")).isEqualTo("i\u0307");
        // U+0345 matches no alternative of the reference regex under IGNORECASE: it is dropped.
        assertThat(ClipTokenizer.preTokenize("a\u0345b!")).containsExactly("a", "b", "!");
    }

    // ------------------------------------------------------------ decoding

    @Test
    void decodeInvertsEncodeForLowercaseAsciiText() {
        // Words only: every pre-token ends in "</w>", which decodes to a space, so "hello, world"
        // would come back as "hello , world" (as it does in transformers).
        for (String text : List.of("a photo of a cat on a chair", "painting of a starry village under the sunset",
                "the quick robot reads next to the window", "xyzzy qwerty")) {
            assertThat(tokenizer.decode(tokenizer.encode(text))).isEqualTo(text);
            assertThat(tokenizer.decode(tokenizer.encode(text, MAX_LENGTH).inputIds(), true)).isEqualTo(text);
        }
    }

    @Test
    void decodeKeepsSpecialTokensUnlessAskedToSkipThem() {
        int[] padded = tokenizer.encode("a cat", 6).inputIds();
        assertThat(tokenizer.decode(padded)).isEqualTo("<|startoftext|>a cat <|endoftext|><|endoftext|>");
        assertThat(tokenizer.decode(padded, true)).isEqualTo("a cat");
    }

    @Test
    void decodeRestoresUnicodeAndReplacesBrokenUtf8LikePython() {
        assertThat(tokenizer.decode(tokenizer.encode("Café 😀 中文"))).isEqualTo("café 😀 中 文");
        // ED A0 80 (an encoded surrogate) is three invalid bytes to Python: three U+FFFD.
        int[] surrogateBytes = ids("í", "ł", "Ģ</w>");
        assertThat(tokenizer.decode(surrogateBytes)).isEqualTo("\ufffd\ufffd\ufffd");
        // A truncated 3-byte sequence (E4 B8) is one maximal subpart: one U+FFFD.
        assertThat(tokenizer.decode(ids("ä", "¸</w>"))).isEqualTo("\ufffd");
        assertThatThrownBy(() -> tokenizer.decode(new int[] {vocab.size() + 5})).isInstanceOf(IllegalArgumentException.class);
    }

    // ------------------------------------------------------------ loading

    @Test
    void loadReadsSpecialTokensAndMaxLengthFromConfig(@TempDir Path folder) throws IOException {
        Path source = ClipTokenizerGoldenTest.TOKENIZER_FOLDER;
        Files.copy(source.resolve("vocab.json"), folder.resolve("vocab.json"));
        Files.copy(source.resolve("merges.txt"), folder.resolve("merges.txt"));
        Files.writeString(folder.resolve("tokenizer_config.json"), """
                {"model_max_length": 16, "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
                 "pad_token": "<|endoftext|>", "unk_token": "<|endoftext|>"}""");
        Files.writeString(folder.resolve("special_tokens_map.json"), """
                {"pad_token": {"content": "!", "lstrip": false}}""");

        ClipTokenizer configured = ClipTokenizer.load(folder);

        assertThat(configured.modelMaxLength()).isEqualTo(16);
        assertThat(configured.padId()).isEqualTo(vocab.get("!"));
        assertThat(configured.bosId()).isEqualTo(vocab.get("<|startoftext|>"));
        assertThat(configured.encode("a", 5).inputIds())
                .containsExactly(configured.bosId(), vocab.get("a</w>"), configured.eosId(), vocab.get("!"), vocab.get("!"));
    }

    @Test
    void loadWithoutConfigFilesUsesClipDefaults(@TempDir Path folder) throws IOException {
        Path source = ClipTokenizerGoldenTest.TOKENIZER_FOLDER;
        Files.copy(source.resolve("vocab.json"), folder.resolve("vocab.json"));
        Files.copy(source.resolve("merges.txt"), folder.resolve("merges.txt"));

        ClipTokenizer defaults = ClipTokenizer.load(folder);

        assertThat(defaults.modelMaxLength()).isEqualTo(77);
        assertThat(defaults.encode("Hello, World! 123 it's a TEST", 77)).isEqualTo(tokenizer.encode("Hello, World! 123 it's a TEST", 77));
    }

    @Test
    void specialTokensMustBeKnown() {
        Map<String, Integer> tiny = Map.of("a</w>", 0, "<s>", 1);
        assertThatThrownBy(() -> ClipTokenizer.of(tiny, List.of(), "<s>", "</s>", "<s>", "<s>", 8))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("</s>");
    }

    // ------------------------------------------------------------ sharing (speed: bench/ TokenizerBench)

    @Test
    void concurrentEncodingGivesTheSameIds() {
        ClipTokenizer fresh = ClipTokenizer.of(vocab, List.of("i n", "o n</w>", "c a"),
                "<|startoftext|>", "<|endoftext|>", "<|endoftext|>", "<|endoftext|>", MAX_LENGTH);
        String prompt = "on a cat in the inn, 42 cats!";
        int[] expected = fresh.encode(prompt, MAX_LENGTH).inputIds();
        List<int[]> results = IntStream.range(0, 2_000).parallel()
                .mapToObj(i -> fresh.encode(prompt, MAX_LENGTH).inputIds()).toList();
        assertThat(results).allSatisfy(r -> assertThat(r).containsExactly(expected));
    }
}
