package mmgp.registry;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;

/**
 * How often and how patiently network work is retried: exponential backoff from
 * {@code firstDelay}, capped at {@code maxDelay}; {@code stallTimeout} aborts a download whose
 * connection stays open but stops delivering bytes.
 */
public record RetryPolicy(int maxAttempts, Duration firstDelay, Duration maxDelay, Duration stallTimeout) {
    public static final RetryPolicy DEFAULT = new RetryPolicy(6, Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(60));

    public RetryPolicy {
        if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts must be at least 1");
    }

    @FunctionalInterface
    interface Call<T> {
        T run() throws IOException;
    }

    /** Network failures and the hub's 5xx / 429 answers may pass; 4xx answers, checksum errors and a full disk will not. */
    static boolean isTransient(IOException e) {
        if (e instanceof HubException h) return h.status() >= 500 || h.status() == 429;
        return !(e instanceof ChecksumMismatchException) && !(e instanceof DiskSpaceException) && !(e instanceof InterruptedIOException);
    }

    void pause(int failedAttempts) throws InterruptedIOException {
        long ms = Math.min(maxDelay.toMillis(), firstDelay.toMillis() << Math.min(20, failedAttempts - 1));
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to retry");
        }
    }
}
