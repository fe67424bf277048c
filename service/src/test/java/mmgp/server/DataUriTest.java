package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Data URIs are strict base64: whitespace is skipped, anything else outside the alphabet is a 400; a limit on the decoded size. */
class DataUriTest {
    private static final byte[] BYTES = "any carnal pleasure, with ~~~ and ??? for + and /".getBytes(StandardCharsets.UTF_8);

    @Test
    void decodesStandardAndUrlSafeBase64WithLineBreaks() {
        String b64 = Base64.getEncoder().encodeToString(BYTES);
        assertThat(b64).contains("+").contains("/");
        DataUri d = DataUri.parse("data:image/png;charset=x;base64," + b64, "p", 1 << 20);
        assertThat(d.mediaType()).isEqualTo("image/png");
        assertThat(d.bytes()).isEqualTo(BYTES);
        String mime = Base64.getMimeEncoder(8, "\r\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(BYTES);
        assertThat(DataUri.parse("data:image/png;base64,\n " + mime + "\t\n", "p", 1 << 20).bytes()).isEqualTo(BYTES);
        String url = Base64.getUrlEncoder().withoutPadding().encodeToString(BYTES);
        assertThat(DataUri.parse("data:video/mp4;base64," + url, "p", 1 << 20).bytes()).isEqualTo(BYTES);
        for (int n = 1; n <= 5; n++) { // every length with and without padding
            byte[] b = java.util.Arrays.copyOf(BYTES, n);
            assertThat(DataUri.parse("data:;base64," + Base64.getEncoder().encodeToString(b), "p", 10).bytes()).isEqualTo(b);
            assertThat(DataUri.parse("data:;base64," + Base64.getEncoder().withoutPadding().encodeToString(b), "p", 10).bytes()).isEqualTo(b);
        }
    }

    @Test
    void junkIsRefusedRatherThanSkipped() {
        String b64 = Base64.getEncoder().encodeToString(BYTES);
        for (String bad : new String[] {b64.substring(0, 8) + "*" + b64.substring(8), b64.substring(0, 8) + "é" + b64.substring(8), "QQ==QUJD", "QUJD=", "Q",
                b64.replace('+', '-'), "===="}) {
            assertThatThrownBy(() -> DataUri.parse("data:image/png;base64," + bad, "image", 1 << 20)).as(bad)
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.status()).isEqualTo(400);
                        assertThat(e.field()).isEqualTo("image");
                    });
        }
        assertThatThrownBy(() -> DataUri.parse("data:image/png;base64, \n", "image", 10)).hasMessageContaining("holds no data");
    }

    @Test
    void moreBytesThanTheLimitAre413BeforeDecoding() {
        String b64 = Base64.getEncoder().encodeToString(new byte[11]);
        assertThat(DataUri.parse("data:;base64," + b64, "p", 11).bytes()).hasSize(11);
        assertThatThrownBy(() -> DataUri.parse("data:;base64," + b64, "p", 10)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(413);
            assertThat(e.field()).isEqualTo("p");
        });
    }
}
