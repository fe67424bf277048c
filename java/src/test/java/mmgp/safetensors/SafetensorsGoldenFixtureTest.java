package mmgp.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import mmgp.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reads golden files written by the PyTorch oracle (shared/fixtures/amused/golden, kept once in the models module) and checks
 * every tensor the oracle's cases.json declares: name, shape and dtype.
 */
class SafetensorsGoldenFixtureTest {

    private static Path resourcePath(String name) {
        return Fixtures.golden("amused", name);
    }

    private static JsonNode testCase(String name) throws IOException {
        JsonNode cases = new ObjectMapper().readTree(resourcePath("cases.json").toFile()).get("cases");
        for (JsonNode c : cases) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new IllegalStateException("no case " + name);
    }

    private static SafetensorsDType dtypeOf(String torchDtype) {
        return switch (torchDtype) {
            case "int64" -> SafetensorsDType.I64;
            case "float32" -> SafetensorsDType.F32;
            default -> throw new IllegalArgumentException(torchDtype);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"tokenizer", "text_encoder"})
    void namesShapesAndDtypesMatchCasesJson(String caseName) throws IOException {
        JsonNode testCase = testCase(caseName);
        String fileName = testCase.get("file").asText().replace("golden/", "");
        try (SafetensorsFile file = SafetensorsFile.open(resourcePath(fileName))) {
            assertThat(file.metadata()).containsEntry("case", caseName);
            Set<String> declared = new HashSet<>();
            for (String section : new String[] {"inputs", "outputs", "intermediates"}) {
                JsonNode tensors = testCase.get(section);
                if (tensors == null) {
                    continue;
                }
                for (Map.Entry<String, JsonNode> entry : tensors.properties()) {
                    declared.add(entry.getKey());
                    SafetensorsTensorInfo info = file.tensor(entry.getKey());
                    JsonNode shapeNode = entry.getValue().get("shape");
                    long[] shape = new long[shapeNode.size()];
                    for (int i = 0; i < shape.length; i++) {
                        shape[i] = shapeNode.get(i).asLong();
                    }
                    assertThat(info.shape()).as(entry.getKey()).containsExactly(shape);
                    assertThat(info.dtype()).as(entry.getKey()).isEqualTo(dtypeOf(entry.getValue().get("dtype").asText()));
                    assertThat(file.data(info).isMapped()).isTrue();
                }
            }
            assertThat(file.names()).containsExactlyInAnyOrderElementsOf(declared);
        }
    }

    @Test
    void tokenizerIdsMatchTheOracle() throws IOException {
        try (SafetensorsFile file = SafetensorsFile.open(resourcePath("tokenizer.safetensors"))) {
            long[] ids = file.readLongs("input_ids");
            long[] mask = file.readLongs("attention_mask");
            assertThat(ids).hasSize(4 * 77);
            // row 0: "a photo of a cat on a chair" = BOS, 8 words, EOS, then padding with EOS (703)
            assertThat(java.util.Arrays.copyOfRange(ids, 0, 10)).containsExactly(702, 320, 542, 515, 320, 523, 339, 513, 320, 66);
            // row 1 is the empty prompt: BOS, EOS, then padding
            assertThat(java.util.Arrays.copyOfRange(ids, 77, 80)).containsExactly(702, 703, 703);
            assertThat(java.util.Arrays.copyOfRange(mask, 77, 80)).containsExactly(1, 1, 0);
            long[] perRow = new long[4];
            for (int i = 0; i < mask.length; i++) {
                perRow[i / 77] += mask[i];
            }
            assertThat(perRow).containsExactly(15, 2, 24, 15);
        }
    }

    @Test
    void textEncoderFloatsMatchTheOracle() throws IOException {
        try (SafetensorsFile file = SafetensorsFile.open(resourcePath("text_encoder.safetensors"))) {
            float[] embeds = file.readFloats("text_embeds");
            assertThat(embeds).hasSize(64);
            assertThat(java.util.Arrays.copyOf(embeds, 4)).containsExactly(-0.725237f, -1.287249f, -0.27586138f, 1.059116f);
            assertThat(embeds[63]).isEqualTo(-0.677092f);
            double sum = 0;
            for (float v : file.readFloats("last_hidden_state")) {
                sum += v;
            }
            assertThat(sum).isCloseTo(-45.68017095717369, org.assertj.core.data.Offset.offset(1e-9));
            assertThat(file.readLongs("input_ids")).hasSize(2 * 77);
        }
    }
}
