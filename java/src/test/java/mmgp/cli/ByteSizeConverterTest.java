package mmgp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ByteSizeConverterTest {
    @Test
    void sizesReadInPowersOf1024() {
        assertThat(ByteSizeConverter.parse("2G")).isEqualTo(2L << 30);
        assertThat(ByteSizeConverter.parse("512m")).isEqualTo(512L << 20);
        assertThat(ByteSizeConverter.parse("1.5GiB")).isEqualTo(3L << 29);
        assertThat(ByteSizeConverter.parse("800")).isEqualTo(800);
        assertThat(ByteSizeConverter.parse("64 KB")).isEqualTo(64L << 10);
        assertThatThrownBy(() -> ByteSizeConverter.parse("2X")).hasMessageContaining("is not a size");
        assertThatThrownBy(() -> ByteSizeConverter.parse("-1G")).hasMessageContaining("is not a size");
    }
}
