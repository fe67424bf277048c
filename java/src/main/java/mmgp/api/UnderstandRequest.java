package mmgp.api;

import java.util.Objects;

/** Look at {@code media} and answer {@code prompt}. */
public record UnderstandRequest(Media media, String prompt, UnderstandOptions options) {
    public UnderstandRequest {
        Objects.requireNonNull(media, "media");
        Objects.requireNonNull(options, "options");
        if (prompt == null || prompt.isBlank()) throw new InvalidRequestException("prompt", "must not be blank");
    }
}
