package mmgp.models.amused;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import mmgp.models.TokenizerGolden;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Ids and masks produced by transformers' slow CLIPTokenizer through the aMUSEd pipeline call
 * {@code tokenizer(prompts, padding="max_length", truncation=True, max_length=77)}, recorded in
 * the fixture's golden/tokenizer.safetensors.
 */
class ClipTokenizerGoldenTest {

    static final Path FIXTURE = Path.of("src/test/resources/fixtures/amused");
    static final Path TOKENIZER_FOLDER = FIXTURE.resolve("checkpoint/tokenizer");

    private static final ObjectMapper JSON = new ObjectMapper();

    private static TokenizerGolden golden;

    @BeforeAll
    static void readGolden() throws IOException {
        golden = TokenizerGolden.load(FIXTURE);
    }

    @Test
    void batchMatchesTransformersExactly() throws IOException {
        ClipTokenizer tokenizer = ClipTokenizer.load(TOKENIZER_FOLDER);
        assertThat(tokenizer.modelMaxLength()).isEqualTo(golden.columns());

        List<ClipTokenizer.Encoding> encodings = tokenizer.encodeBatch(golden.prompts(), golden.columns());

        assertMatchesGolden(encodings);
    }

    @Test
    void specialTokenIdsAndVocabSizeMatchTheRecordedOnes() throws IOException {
        ClipTokenizer tokenizer = ClipTokenizer.load(TOKENIZER_FOLDER);

        assertThat(tokenizer.bosId()).isEqualTo(golden.spec().get("bos_id").asInt());
        assertThat(tokenizer.eosId()).isEqualTo(golden.spec().get("eos_id").asInt());
        assertThat(tokenizer.padId()).isEqualTo(golden.spec().get("pad_id").asInt());
        assertThat(tokenizer.vocabSize()).isEqualTo(golden.spec().get("vocab_size").asInt());
    }

    @Test
    void inMemoryConstructionMatchesTheGoldenToo() throws IOException {
        Map<String, Integer> vocab = JSON.readValue(TOKENIZER_FOLDER.resolve("vocab.json").toFile(),
                new TypeReference<Map<String, Integer>>() {});
        List<String> lines = Files.readAllLines(TOKENIZER_FOLDER.resolve("merges.txt"), StandardCharsets.UTF_8);
        List<String> merges = lines.subList(1, lines.size()).stream().filter(l -> !l.isBlank()).toList();

        ClipTokenizer tokenizer = ClipTokenizer.of(vocab, merges,
                "<|startoftext|>", "<|endoftext|>", "<|endoftext|>", "<|endoftext|>", golden.columns());

        assertMatchesGolden(tokenizer.encodeBatch(golden.prompts(), golden.columns()));
    }

    private static void assertMatchesGolden(List<ClipTokenizer.Encoding> encodings) {
        golden.assertMatches(encodings.stream().map(ClipTokenizer.Encoding::inputIds).toList(),
                encodings.stream().map(ClipTokenizer.Encoding::attentionMask).toList());
    }
}
