package mmgp.api;

import java.util.Objects;

/** Film {@code prompt}. */
public record VideoRequest(String prompt, VideoOptions options) {
    public VideoRequest {
        Objects.requireNonNull(options, "options");
        if (prompt == null || prompt.isBlank()) throw new InvalidRequestException("prompt", "must not be blank");
    }
}
