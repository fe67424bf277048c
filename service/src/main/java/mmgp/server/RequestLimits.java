package mmgp.server;

/**
 * The server's caps on what one request may ask for (beyond the engine's own checks): a public
 * server should not let one caller queue a 1000-step 4K video. A width or height of 0 leaves
 * the size to the engine, which holds requests to the model's native size unless told otherwise
 * ({@link mmgp.engine.Engine.Builder#maxSize}), and to its memory budget.
 */
public record RequestLimits(int maxFrames, int maxWidth, int maxHeight, int maxSteps, int maxNewTokens) {
    public RequestLimits {
        if (maxFrames < 1 || maxWidth < 0 || maxHeight < 0 || maxSteps < 1 || maxNewTokens < 1) {
            throw new IllegalArgumentException("request limits must be positive (sizes: 0 for the model's native size): " + this);
        }
    }

    public static RequestLimits defaults() {
        return new RequestLimits(121, 0, 0, 50, 512);
    }

    /** Throws a 400 naming {@code field} when {@code value} exceeds {@code max}; a {@code max} of 0 checks nothing (the engine does). */
    static void check(String field, long value, int max, String flag) {
        if (max > 0 && value > max) throw ApiException.badRequest(field, field + " " + value + " is above this server's limit of " + max + " (" + flag + ")");
    }
}
