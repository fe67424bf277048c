package mmgp.models.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import mmgp.models.TokenizerGolden;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ids and masks of transformers' slow T5Tokenizer (legacy=True) through the LTX pipeline call
 * {@code tokenizer(prompts, padding="max_length", max_length=32, truncation=True,
 * add_special_tokens=True)}, recorded in the fixture's golden/tokenizer.safetensors, plus the
 * sentencepiece behaviour the four golden prompts do not reach.
 */
class T5TokenizerGoldenTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/ltx_video");
    static final Path TOKENIZER = FIXTURE.resolve("checkpoint/tokenizer");

    private static TokenizerGolden golden;
    private static int columns;
    private static T5Tokenizer tokenizer;

    @BeforeAll
    static void readGolden() throws IOException {
        golden = TokenizerGolden.load(FIXTURE);
        columns = golden.columns();
        tokenizer = T5Tokenizer.load(TOKENIZER);
    }

    @Test
    void everyPromptMatchesTransformersExactly() {
        List<T5Tokenizer.Encoding> encodings = tokenizer.encodeBatch(golden.prompts(), columns);
        golden.assertMatches(encodings.stream().map(T5Tokenizer.Encoding::inputIds).toList(),
                encodings.stream().map(T5Tokenizer.Encoding::attentionMask).toList());
    }

    @Test
    void specialIdsAndSizesMatchTheRecordedOnes() {
        assertThat(tokenizer.padId()).isZero();
        assertThat(tokenizer.eosId()).isEqualTo(1);
        assertThat(tokenizer.unkId()).isEqualTo(2);
        assertThat(tokenizer.size()).isEqualTo(golden.spec().get("tokenizer_len").asInt());
        assertThat(tokenizer.vocabSize()).isEqualTo(142);
        assertThat(tokenizer.modelMaxLength()).isEqualTo(columns);
    }

    @Test
    void unicodeIsNormalizedAndUnknownRunsMergeAsSentencepieceDoes() {
        // Recorded with sentencepiece 0.1.97 (Debian python3-sentencepiece) on this spiece.model:
        // nmt_nfkc folds width, compatibility forms and odd spaces; unknown characters in a row
        // become one <unk> piece (id 2).
        expectPieces("ＡＢＣ ｶ ①", List.of("▁", "ABC", "▁", "カ", "▁", "1"), 4, 2, 4, 2, 4, 2);
        expectPieces("cafe\u0301 ﬁsh Straße", List.of("▁ca", "f", "é", "▁f", "i", "s", "h", "▁", "S", "t", "ra", "ß", "e"),
                48, 15, 2, 44, 75, 6, 45, 4, 2, 10, 83, 2, 5);
        expectPieces("\u3000a\u2003b\t\tc\n", List.of("▁a", "▁b", "▁c"), 3, 23, 14);
        expectPieces("𝐚 𝐜at 😀 ok", List.of("▁a", "▁cat", "▁", "😀", "▁o", "k"), 3, 63, 4, 2, 7, 24);
        expectPieces("x\u200by\u00a0z", List.of("▁", "x", "▁", "y", "▁", "z"), 4, 53, 4, 11, 4, 111);
        expectPieces("walking\u0007 on\u0000the  beach ", List.of("▁wa", "l", "k", "ing", "▁", "on", "\u0000", "th", "e", "▁b", "e", "a", "c", "h"),
                41, 22, 24, 19, 4, 8, 2, 28, 5, 23, 5, 21, 139, 45);
        expectPieces("ⅷ ㎏ ½", List.of("▁", "vi", "i", "i", "▁", "k", "g", "▁", "1⁄2"), 4, 97, 75, 75, 4, 24, 140, 4, 2);
        expectPieces("HHH!!  ", List.of("▁", "HHH!!"), 4, 2);
        expectPieces("\ufffd e", List.of("▁", "e"), 4, 5);
        expectPieces(" ", List.of());
    }

    private static void expectPieces(String text, List<String> pieces, int... ids) {
        assertThat(tokenizer.sentencePiece().encodeAsPieces(text)).as("pieces of %s", text).containsExactlyElementsOf(pieces);
        assertThat(tokenizer.encode(text)).as("ids of %s", text).containsExactly(ids);
    }

    @Test
    void aLongPromptIsCutSoThatEosStaysLast() {
        String prompt = "a cat walking on the beach ".repeat(10);
        int[] full = tokenizer.encode(prompt);
        assertThat(full.length).isGreaterThan(40);
        T5Tokenizer.Encoding e = tokenizer.encode(prompt, columns);
        assertThat(e.inputIds()).hasSize(columns);
        assertThat(e.inputIds()[columns - 1]).isEqualTo(tokenizer.eosId());
        for (int i = 0; i < columns - 1; i++) assertThat(e.inputIds()[i]).isEqualTo(full[i]);
        assertThat(e.realLength()).isEqualTo(columns);
    }

    @Test
    void anEmptyPromptIsEosThenPadding() {
        T5Tokenizer.Encoding e = tokenizer.encode("", 8);
        assertThat(e.inputIds()).containsExactly(1, 0, 0, 0, 0, 0, 0, 0);
        assertThat(e.attentionMask()).containsExactly(1, 0, 0, 0, 0, 0, 0, 0);
        // Whitespace alone normalizes to nothing as well.
        assertThat(tokenizer.encode(" \t ", 8)).isEqualTo(e);
    }

    @Test
    void sentinelsAreSplitOutAndEatTheWhitespaceAroundThem() {
        // <extra_id_k> is id 149 − k (after the 142 sentencepiece pieces); lstrip/rstrip drop the
        // spaces beside it, and sentencepiece then gives each side its own "▁" prefix.
        assertThat(tokenizer.tokenize("a <extra_id_0>   cat")).containsExactly("▁a", "<extra_id_0>", "▁cat");
        assertThat(tokenizer.encode("a <extra_id_0>   cat")).containsExactly(3, 149, 63);
        assertThat(tokenizer.encode("<extra_id_7>dog<extra_id_1>")).containsExactly(142, 54, 148);
        // Only eight sentinels exist: <extra_id_8> is plain text (mostly unknown characters).
        assertThat(tokenizer.encode("<extra_id_8>")).doesNotContain(141, 150);
        assertThat(tokenizer.tokenToId("<extra_id_3>")).isEqualTo(146);
    }

    @Test
    void anExplicitEosIsKeptAndNotDoubled() {
        // "</s>" in the text is the eos token itself; transformers then adds no second one.
        T5Tokenizer.Encoding e = tokenizer.encode("a cat</s>", 6);
        assertThat(e.inputIds()).containsExactly(3, 63, 1, 0, 0, 0);
        assertThat(e.attentionMask()).containsExactly(1, 1, 1, 0, 0, 0);
        assertThat(tokenizer.encode("a</s>cat", 6).inputIds()).containsExactly(3, 1, 63, 1, 0, 0);
    }

    @Test
    void decodeReversesEncodeAndKeepsSpecialsOnRequest() {
        T5Tokenizer.Encoding e = tokenizer.encode("a cat walking on the beach", 20);
        assertThat(tokenizer.decode(e.inputIds(), true)).isEqualTo("a cat walking on the beach");
        assertThat(tokenizer.decode(e.inputIds())).isEqualTo("a cat walking on the beach</s>" + "<pad>".repeat(4));
        assertThat(tokenizer.decode(tokenizer.encode("a <extra_id_0> cat"))).isEqualTo("a <extra_id_0> cat");
        // Unknown characters come back as <unk> (the slow tokenizer's own text for id 2).
        assertThat(tokenizer.decode(tokenizer.encode("the Dog"), true)).isEqualTo("the og");
    }

    @Test
    void unsupportedTokenizersAreRejectedWithTheReason(@TempDir Path dir) throws IOException {
        Files.copy(TOKENIZER.resolve("spiece.model"), dir.resolve("spiece.model"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"legacy\": false}");
        assertThatThrownBy(() -> T5Tokenizer.load(dir)).hasMessageContaining("legacy=false");

        // A folder with only spiece.model gets T5Tokenizer's defaults: 100 sentinels after the vocabulary.
        Files.delete(dir.resolve("tokenizer_config.json"));
        T5Tokenizer defaults = T5Tokenizer.load(dir);
        assertThat(defaults.tokenToId("<extra_id_0>")).isEqualTo(142 + 99);
        assertThat(defaults.tokenToId("<extra_id_99>")).isEqualTo(142);
        assertThat(defaults.encode("a cat", 4).inputIds()).containsExactly(3, 63, 1, 0);
    }

    @Test
    void sentencepieceModelFieldsAreRead() throws IOException {
        SentencePieceModel sp = SentencePieceModel.load(TOKENIZER.resolve("spiece.model"));
        assertThat(sp.size()).isEqualTo(142);
        assertThat(sp.piece(0)).isEqualTo(new SentencePieceModel.Piece("<pad>", 0f, SentencePieceModel.PieceType.CONTROL));
        assertThat(sp.piece(2).type()).isEqualTo(SentencePieceModel.PieceType.UNKNOWN);
        assertThat(sp.piece(3).text()).isEqualTo("▁a");
        assertThat(sp.piece(3).score()).isEqualTo(-2.596958875656128f);
        assertThat(sp.byteFallback()).isFalse();
        assertThat(sp.pieceToId("</s>")).isEqualTo(1);
        assertThat(sp.pieceToId("no such piece")).isEqualTo(2);
        assertThat(sp.normalize("  Ｈello   world ")).isEqualTo("▁Hello▁world");
        assertThat(sp.decodePieces(List.of("▁a", "▁cat", "</s>", "<unk>", "x"))).isEqualTo("a cat ⁇ x");
        assertThatThrownBy(() -> SentencePieceModel.parse(new byte[] {0x0A, 0x7F})).hasMessageContaining("runs past");
    }
}
