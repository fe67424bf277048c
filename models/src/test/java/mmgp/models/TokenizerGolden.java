package mmgp.models;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import mmgp.safetensors.SafetensorsFile;

/**
 * A fixture's "tokenizer" golden case: the prompts, and the input_ids and attention_mask the
 * upstream tokenizer gave them, padded to {@code columns}, one row per prompt.
 *
 * @param spec the case's entry in cases.json (special ids, sizes)
 */
public record TokenizerGolden(JsonNode spec, List<String> prompts, long[] ids, long[] mask, int columns) {

    /** Reads the case from {@code fixture}'s golden/cases.json and its safetensors file. */
    public static TokenizerGolden load(Path fixture) throws IOException {
        JsonNode spec = null;
        for (JsonNode c : new ObjectMapper().readTree(fixture.resolve("golden/cases.json").toFile()).get("cases")) {
            if (c.get("name").asText().equals("tokenizer")) spec = c;
        }
        assertThat(spec).as("cases.json has a tokenizer case").isNotNull();
        List<String> prompts = new ArrayList<>();
        spec.get("prompts").forEach(p -> prompts.add(p.asText()));
        try (SafetensorsFile golden = SafetensorsFile.open(fixture.resolve(spec.get("file").asText()))) {
            long[] shape = golden.tensor("input_ids").shape();
            assertThat(Math.toIntExact(shape[0])).as("golden rows").isEqualTo(prompts.size());
            return new TokenizerGolden(spec, List.copyOf(prompts), golden.readLongs("input_ids"), golden.readLongs("attention_mask"),
                    Math.toIntExact(shape[1]));
        }
    }

    public int rows() {
        return prompts.size();
    }

    /** Asserts that the tokenizer gave one row per prompt, each row's ids and mask exactly the golden's. */
    public void assertMatches(List<int[]> actualIds, List<int[]> actualMasks) {
        assertThat(actualIds).hasSize(rows());
        assertThat(actualMasks).hasSize(rows());
        for (int row = 0; row < rows(); row++) {
            assertThat(actualIds.get(row)).as("input_ids of '%s'", prompts.get(row)).containsExactly(row(ids, row));
            assertThat(actualMasks.get(row)).as("attention_mask of '%s'", prompts.get(row)).containsExactly(row(mask, row));
        }
    }

    private int[] row(long[] values, int row) {
        int[] out = new int[columns];
        for (int col = 0; col < columns; col++) out[col] = Math.toIntExact(values[row * columns + col]);
        return out;
    }
}
