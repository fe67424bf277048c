package mmgp.models.ltx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LtxRandomWeightsTest {
    @Test
    void theStandInTokenizerIsAValidUnigramModel(@TempDir Path tmp) throws Exception {
        Files.write(tmp.resolve("spiece.model"), LtxRandomWeights.standInSentencePiece());
        T5Tokenizer tokenizer = T5Tokenizer.load(tmp);
        T5Tokenizer.Encoding e = tokenizer.encode("a cat", 8);
        assertThat(e.inputIds()).hasSize(8);
        assertThat(e.inputIds()[e.realLength() - 1]).isEqualTo(tokenizer.eosId());
        assertThat(tokenizer.decode(e.inputIds(), true)).isEqualTo("a cat");
    }
}
