package mmgp.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class Utf8StreamTest {

    @Test
    void aCharacterSplitAcrossTokensIsHeldBackUntilComplete() {
        Utf8Stream stream = new Utf8Stream();
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8); // 3 bytes
        assertThat(stream.push(new byte[] {'a', euro[0]})).isEqualTo("a");
        assertThat(stream.push(new byte[] {euro[1]})).isEmpty();
        assertThat(stream.push(new byte[] {euro[2], 'b'})).isEqualTo("€b");
        assertThat(stream.finish()).isEmpty();
    }

    @Test
    void aFourByteCharacterOneByteAtATime() {
        Utf8Stream stream = new Utf8Stream();
        byte[] emoji = "\uD83D\uDE00".getBytes(StandardCharsets.UTF_8); // U+1F600, 4 bytes
        assertThat(emoji).hasSize(4);
        for (int i = 0; i < 3; i++) assertThat(stream.push(new byte[] {emoji[i]})).isEmpty();
        assertThat(stream.push(new byte[] {emoji[3]})).isEqualTo("\uD83D\uDE00");
    }

    @Test
    void malformedBytesAndAnIncompleteEndBecomeReplacementCharacters() {
        Utf8Stream stream = new Utf8Stream();
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
        assertThat(stream.push(new byte[] {(byte) 0xFF, 'c', euro[0]})).isEqualTo("\uFFFDc");
        assertThat(stream.finish()).isEqualTo("\uFFFD");
        assertThat(stream.push("ok".getBytes(StandardCharsets.UTF_8))).isEqualTo("ok"); // reusable after finish
    }

    @Test
    void piecesConcatenateToDecodingAllBytesAtOnceForEverySplit() {
        String text = "héllo €uro 😀 日本語 done";
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (int chunk = 1; chunk <= 5; chunk++) {
            Utf8Stream stream = new Utf8Stream();
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < bytes.length; i += chunk) {
                out.append(stream.push(Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + chunk))));
            }
            out.append(stream.finish());
            assertThat(out.toString()).as("chunks of %d bytes", chunk).isEqualTo(text);
        }
    }

    @Test
    void aLongTokenGrowsTheBuffer() {
        Utf8Stream stream = new Utf8Stream();
        String longText = "x".repeat(100) + "€";
        assertThat(stream.push(longText.getBytes(StandardCharsets.UTF_8))).isEqualTo(longText);
    }
}
