package mmgp.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigReaderTest {
    private static ConfigReader reader(String json) throws Exception {
        return ConfigReader.forClass("VQModel", new ObjectMapper().readTree(json));
    }

    @Test
    void listsAreReadEntryByEntry() throws Exception {
        ConfigReader cfg = reader("{\"a\": [1, 2, 3], \"b\": [true, false], \"c\": [\"x\", \"y\"], \"d\": null}");
        assertThat(cfg.requiredIntList("a")).containsExactly(1, 2, 3);
        assertThat(cfg.optionalBooleanList("b", List.of())).containsExactly(true, false);
        assertThat(cfg.requiredTextList("c")).containsExactly("x", "y");
        assertThat(cfg.optionalIntList("d", List.of(7))).containsExactly(7);
        assertThat(cfg.optionalTextList("absent", List.of("z"))).containsExactly("z");
    }

    @Test
    void errorsNameTheConfigTheFieldAndTheEntry() throws Exception {
        ConfigReader cfg = reader("{\"a\": [1, 2.5], \"b\": 4, \"c\": [\"x\", 5]}");
        assertThatThrownBy(() -> cfg.requiredIntList("a")).hasMessage("VQModel config field 'a[1]' must be an integer, got 2.5");
        assertThatThrownBy(() -> cfg.optionalIntList("b", List.of())).hasMessage("VQModel config field 'b' must be a list, got 4");
        assertThatThrownBy(() -> cfg.requiredTextList("c")).hasMessage("VQModel config field 'c[1]' must be a string, got 5");
        assertThatThrownBy(() -> cfg.requiredTextList("missing")).hasMessage("VQModel config is missing 'missing'");
    }

    @Test
    void anotherClassIsRefused() throws Exception {
        assertThatThrownBy(() -> reader("{\"_class_name\": \"AutoencoderKL\"}")).hasMessage("config is for AutoencoderKL, not VQModel");
    }

    @Test
    void aClassNameThatIsNotAStringIsRefused() throws Exception {
        assertThatThrownBy(() -> reader("{\"_class_name\": 5}")).hasMessage("VQModel config field '_class_name' must be a string, got 5");
        assertThat(reader("{\"_class_name\": null}").configName()).isEqualTo("VQModel config");
    }
}
