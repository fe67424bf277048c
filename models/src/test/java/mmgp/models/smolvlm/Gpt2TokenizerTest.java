package mmgp.models.smolvlm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import mmgp.tokenizer.ByteLevelAlphabet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The slow GPT-2 tokenizer of the smolvlm2_processor fixture, plus behaviour no golden covers. */
class Gpt2TokenizerTest {

    private static Gpt2Tokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        tokenizer = Gpt2Tokenizer.load(SmolVlmProcessorGoldenTest.CHECKPOINT);
    }

    @Test
    void vocabularyAndSpecialTokensAreThoseOfTheFixture() {
        assertThat(tokenizer.vocabSize()).isEqualTo(369);
        assertThat(tokenizer.size()).isEqualTo(409); // = the model's vocab_size
        assertThat(tokenizer.unkId()).isEqualTo(0);
        assertThat(tokenizer.bosId()).isEqualTo(1);
        assertThat(tokenizer.padId()).hasValue(2);
        assertThat(tokenizer.eosId()).isEqualTo(369);
        assertThat(tokenizer.tokenToId("<image>")).isEqualTo(371);
        assertThat(tokenizer.tokenToId("<row_6_col_6>")).isEqualTo(408);
    }

    @Test
    void roundTripsArbitraryText() {
        for (String text : List.of("What is the capital of France?", "  leading and trailing  ",
                "tabs\tand\nnewlines\r\n\n", "don't we'll it's 12345 3.14", "héllo wörld, ÇA VA?",
                "日本語のテキスト", "emoji 🙂🚀 and symbols ©®™", "", " ", "x")) {
            int[] ids = tokenizer.encode(text);
            assertThat(tokenizer.decode(ids)).as(text).isEqualTo(text);
        }
    }

    @Test
    void noSpecialTokensAreAddedUnlessConfigured() {
        int[] plain = tokenizer.encode("hi", false);
        assertThat(tokenizer.encode("hi", true)).isEqualTo(plain); // add_bos_token is false

        Gpt2Tokenizer withBos = new Gpt2Tokenizer(Map.of("h", 0, "i", 1, "<s>", 2), List.of(),
                new Gpt2Tokenizer.Config("<s>", "<s>", "<s>", null, List.of(), List.of(), true, false, false, Map.of()));
        assertThat(withBos.encode("hi", true)).containsExactly(2, 0, 1);
        assertThat(withBos.encode("hi", false)).containsExactly(0, 1);
    }

    @Test
    void gpt2RegexSplitsWordsNumbersContractionsAndSpaces() {
        // "a  b" -> "a", " ", " b": a space run keeps its last space for the next word.
        assertThat(tokenizer.tokenize("a  b")).containsExactly("a", "Ġ", "Ġb");
        Gpt2Tokenizer tiny = new Gpt2Tokenizer(Map.of("i", 0, "t", 1, "'", 2, "s", 3, "it", 4, "'s", 5),
                List.of("i t", "' s"), Gpt2Tokenizer.Config.gpt2Defaults());
        assertThat(tiny.tokenize("it's")).containsExactly("it", "'s");
        assertThat(tiny.tokenize("'st")).containsExactly("'s", "t"); // the contraction wins over punctuation
        assertThat(tokenizer.tokenize("The sky")).containsExactly("The", "Ġsky");
        assertThat(tokenizer.tokenize("x\n")).containsExactly("x", "Ċ");
    }

    @Test
    void addedTokensAreMatchedVerbatimAndNeverSplit() {
        assertThat(tokenizer.encode("<image><image>")).containsExactly(371, 371);
        assertThat(tokenizer.encode("a<image>b")).containsExactly(67, 371, 68);
        assertThat(tokenizer.tokenize("<|im_start|>User:<fake_token_around_image><global-img>"))
                .containsExactly("<|im_start|>", "User", ":", "<fake_token_around_image>", "<global-img>");
        // lstrip/rstrip are false here: the spaces around the token stay ordinary tokens.
        assertThat(tokenizer.tokenize(" <image> ")).containsExactly("Ġ", "<image>", "Ġ");
    }

    @Test
    void unknownSpecialLookingTokensAreOrdinaryText() {
        // "<video>" is not an added token of this tokenizer: it is byte-level BPE text.
        List<String> tokens = tokenizer.tokenize("<video>");
        assertThat(tokens).hasSizeGreaterThan(1).doesNotContain("<video>");
        assertThat(tokenizer.decode(tokenizer.encode("<video>"))).isEqualTo("<video>");
        assertThat(tokenizer.isAddedToken("<video>")).isFalse();
        // convert_tokens_to_ids of an unknown token gives the unk id; an unknown id is an error.
        assertThat(tokenizer.tokenToId("<video>")).isEqualTo(tokenizer.unkId());
        assertThatThrownBy(() -> tokenizer.decode(new int[] {409})).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("409");
    }

    @Test
    void decodeSeparatesAddedTokensAndCanSkipSpecials() {
        int[] ids = tokenizer.encode("<|im_start|>User:<image><image>What<end_of_utterance>");
        // Legacy added tokens (ids beyond vocab.json) are space-separated pieces; bos (id 1) is not.
        assertThat(tokenizer.decode(ids)).isEqualTo("<|im_start|>User: <image> <image> What <end_of_utterance>");
        assertThat(tokenizer.decode(ids, true)).isEqualTo("User:What");
    }

    @Test
    void invalidUtf8DecodesToReplacementCharacters() {
        int id = tokenizer.tokenToId(String.valueOf(ByteLevelAlphabet.encode("é").charAt(0))); // lone lead byte
        assertThat(tokenizer.decode(new int[] {id, tokenizer.tokenToId("a")})).isEqualTo("\uFFFDa");
    }

    @Test
    void stripFlagsEatWhitespaceNextToAddedTokens() {
        Map<String, Integer> vocab = Map.of("a", 0, "Ġ", 1, "Ġa", 2, "<unk>", 3);
        Gpt2Tokenizer.Config config = new Gpt2Tokenizer.Config("<unk>", "<unk>", "<unk>", null, List.of(),
                List.of(new Gpt2Tokenizer.AddedToken("<L>", 4, true, false, false, false, true),
                        new Gpt2Tokenizer.AddedToken("<R>", 5, false, true, false, false, true)),
                false, false, false, Map.of());
        Gpt2Tokenizer stripping = new Gpt2Tokenizer(vocab, List.of("Ġ a"), config);

        assertThat(stripping.tokenize("a  <L> a")).containsExactly("a", "<L>", "Ġa");
        assertThat(stripping.tokenize("a <R>  a")).containsExactly("a", "Ġ", "<R>", "a");
    }

    @Test
    void mergesFileDropsHeaderAndLastElementLikeTheReference(@TempDir Path dir) throws IOException {
        Path withNewline = dir.resolve("a.txt");
        Files.writeString(withNewline, "#version: 0.2\nĠ t\nh e\n", StandardCharsets.UTF_8);
        assertThat(Gpt2Tokenizer.readMerges(withNewline)).containsExactly("Ġ t", "h e");

        Path withoutNewline = dir.resolve("b.txt");
        Files.writeString(withoutNewline, "#version: 0.2\nĠ t\nh e", StandardCharsets.UTF_8);
        assertThat(Gpt2Tokenizer.readMerges(withoutNewline)).containsExactly("Ġ t");
    }

    @Test
    void legacyLayoutReadsSpecialTokensMapAndAddedTokensJson(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("vocab.json"), "{\"a\": 0, \"b\": 1, \"<|endoftext|>\": 2, \"ab\": 5}");
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\na b\n");
        Files.writeString(dir.resolve("special_tokens_map.json"),
                "{\"eos_token\": \"<eou>\", \"additional_special_tokens\": [\"<img>\"]}");
        Files.writeString(dir.resolve("added_tokens.json"), "{\"<eou>\": 3, \"<img>\": 4}");

        Gpt2Tokenizer legacy = Gpt2Tokenizer.load(dir);

        assertThat(legacy.eosId()).isEqualTo(3);
        assertThat(legacy.encode("ab<img>a")).containsExactly(5, 4, 0);
        assertThat(legacy.addedTokens().get("<img>").special()).isTrue();
    }
}
