package mmgp.server;

/**
 * The server's caps on what one request may ask for (beyond the engine's own checks): a public
 * server should not let one caller queue a 1000-step 4K video.
 */
public record RequestLimits(int maxFrames, int maxWidth, int maxHeight, int maxSteps, int maxNewTokens) {
    public RequestLimits {
        if (maxFrames < 1 || maxWidth < 1 || maxHeight < 1 || maxSteps < 1 || maxNewTokens < 1) {
            throw new IllegalArgumentException("request limits must be positive: " + this);
        }
    }

    public static RequestLimits defaults() {
        return new RequestLimits(121, 1024, 1024, 50, 512);
    }

    /** Throws a 400 naming {@code field} when {@code value} exceeds {@code max}. */
    static void check(String field, long value, int max, String flag) {
        if (value > max) throw ApiException.badRequest(field, field + " " + value + " is above this server's limit of " + max + " (" + flag + ")");
    }
}
