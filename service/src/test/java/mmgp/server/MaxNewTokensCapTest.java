package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import mmgp.api.InvalidRequestException;
import org.junit.jupiter.api.Test;

/**
 * The HTTP layer's own cap on max_new_tokens: the API record bounds it only by the model's context
 * (so the CLI may use a large --ctx), while a request to the server stays at most
 * {@link RequestParser#MAX_NEW_TOKENS} even when the operator's --max-new-tokens is higher.
 */
class MaxNewTokensCapTest {
    private final ObjectMapper json = new ObjectMapper();
    private final RequestParser parser = new RequestParser(json, new RequestLimits(1000, 1000, 1000, 1000, 10_000));

    @Test
    void aPipelineCaptionAboveTheCapIsRefusedByItsNestedName() throws Exception {
        assertThatThrownBy(() -> parser.pipeline(json.readTree("{\"caption\": {\"max_new_tokens\": 5000}}")))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("caption.max_new_tokens"))
                .hasMessage("caption.max_new_tokens: must be in [1, 4096], got 5000");
        assertThat(parser.pipeline(json.readTree("{\"caption\": {\"max_new_tokens\": 4096}}")).caption().maxNewTokens()).isEqualTo(4096);
    }

    @Test
    void anUnderstandRequestAboveTheCapIsRefused() throws Exception {
        assertThatThrownBy(() -> parser.understand(json.readTree("{\"prompt\": \"hi\", \"max_new_tokens\": 4097}"), new mmgp.api.Media.None(), false))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("max_new_tokens"))
                .hasMessageContaining("[1, 4096]");
    }
}
