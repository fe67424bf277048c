package mmgp.api;

import java.util.Objects;

/** Draw {@code prompt}. */
public record ImageRequest(String prompt, ImageOptions options) {
    public ImageRequest {
        Objects.requireNonNull(options, "options");
        if (prompt == null || prompt.isBlank()) throw new InvalidRequestException("prompt", "must not be blank");
    }
}
