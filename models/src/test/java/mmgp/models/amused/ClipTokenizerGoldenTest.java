package mmgp.models.amused;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import mmgp.safetensors.SafetensorsFile;
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

    private static JsonNode tokenizerCase;
    private static List<String> prompts;
    private static long[] goldenIds;
    private static long[] goldenMask;
    private static int rows;
    private static int columns;

    @BeforeAll
    static void readGolden() throws IOException {
        JsonNode cases = JSON.readTree(FIXTURE.resolve("golden/cases.json").toFile()).get("cases");
        for (JsonNode c : cases) {
            if (c.get("name").asText().equals("tokenizer")) {
                tokenizerCase = c;
            }
        }
        assertThat(tokenizerCase).as("cases.json has a tokenizer case").isNotNull();
        prompts = new ArrayList<>();
        tokenizerCase.get("prompts").forEach(p -> prompts.add(p.asText()));

        try (SafetensorsFile golden = SafetensorsFile.open(FIXTURE.resolve(tokenizerCase.get("file").asText()))) {
            goldenIds = golden.readLongs("input_ids");
            goldenMask = golden.readLongs("attention_mask");
            long[] shape = golden.tensor("input_ids").shape();
            rows = Math.toIntExact(shape[0]);
            columns = Math.toIntExact(shape[1]);
        }
        assertThat(rows).isEqualTo(prompts.size());
    }

    @Test
    void batchMatchesTransformersExactly() throws IOException {
        ClipTokenizer tokenizer = ClipTokenizer.load(TOKENIZER_FOLDER);
        assertThat(tokenizer.modelMaxLength()).isEqualTo(columns);

        List<ClipTokenizer.Encoding> encodings = tokenizer.encodeBatch(prompts, columns);

        assertMatchesGolden(encodings);
    }

    @Test
    void specialTokenIdsAndVocabSizeMatchTheRecordedOnes() throws IOException {
        ClipTokenizer tokenizer = ClipTokenizer.load(TOKENIZER_FOLDER);

        assertThat(tokenizer.bosId()).isEqualTo(tokenizerCase.get("bos_id").asInt());
        assertThat(tokenizer.eosId()).isEqualTo(tokenizerCase.get("eos_id").asInt());
        assertThat(tokenizer.padId()).isEqualTo(tokenizerCase.get("pad_id").asInt());
        assertThat(tokenizer.vocabSize()).isEqualTo(tokenizerCase.get("vocab_size").asInt());
    }

    @Test
    void inMemoryConstructionMatchesTheGoldenToo() throws IOException {
        Map<String, Integer> vocab = JSON.readValue(TOKENIZER_FOLDER.resolve("vocab.json").toFile(),
                new TypeReference<Map<String, Integer>>() {});
        List<String> lines = Files.readAllLines(TOKENIZER_FOLDER.resolve("merges.txt"), StandardCharsets.UTF_8);
        List<String> merges = lines.subList(1, lines.size()).stream().filter(l -> !l.isBlank()).toList();

        ClipTokenizer tokenizer = ClipTokenizer.of(vocab, merges,
                "<|startoftext|>", "<|endoftext|>", "<|endoftext|>", "<|endoftext|>", columns);

        assertMatchesGolden(tokenizer.encodeBatch(prompts, columns));
    }

    private static void assertMatchesGolden(List<ClipTokenizer.Encoding> encodings) {
        assertThat(encodings).hasSize(rows);
        for (int row = 0; row < rows; row++) {
            int[] expectedIds = new int[columns];
            int[] expectedMask = new int[columns];
            for (int col = 0; col < columns; col++) {
                expectedIds[col] = Math.toIntExact(goldenIds[row * columns + col]);
                expectedMask[col] = Math.toIntExact(goldenMask[row * columns + col]);
            }
            assertThat(encodings.get(row).inputIds()).as("input_ids of %s", prompts.get(row)).containsExactly(expectedIds);
            assertThat(encodings.get(row).attentionMask()).as("attention_mask of %s", prompts.get(row))
                    .containsExactly(expectedMask);
        }
    }
}
