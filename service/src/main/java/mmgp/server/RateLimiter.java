package mmgp.server;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * A token bucket per API key: {@code perMinute} tokens, refilled continuously at
 * {@code perMinute}/60 per second, one token per request. A refusal says how many whole
 * seconds until the next token (the Retry-After value). The buckets live in this process,
 * or in a store every front end of a cluster shares ({@link Buckets}), so that a key's limit
 * holds however many front ends its requests reach.
 */
public final class RateLimiter {
    private final int perMinute;
    private final LongSupplier nanoClock;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final Buckets shared;

    /** Buckets kept outside this process; each take applies {@link #refill} to the stored level atomically. */
    @FunctionalInterface
    public interface Buckets {
        /** 0 when {@code n} tokens were taken from {@code key}'s bucket (created full), else the seconds to wait. */
        long take(String key, int perMinute, int n);
    }

    /** A bucket's level after a take: {@code waitSeconds} 0 when the tokens were taken. */
    public record Level(double tokens, long waitSeconds) {}

    /** {@code perMinute} 0 lets everything through. */
    public RateLimiter(int perMinute, LongSupplier nanoClock) {
        this(perMinute, nanoClock, null);
    }

    /** Buckets in {@code shared} (a cluster's database) instead of this process. */
    public RateLimiter(int perMinute, Buckets shared) {
        this(perMinute, System::nanoTime, shared);
    }

    private RateLimiter(int perMinute, LongSupplier nanoClock, Buckets shared) {
        if (perMinute < 0) throw new IllegalArgumentException("perMinute must be >= 0, got " + perMinute);
        this.perMinute = perMinute;
        this.nanoClock = nanoClock;
        this.shared = shared;
    }

    /**
     * The rule of every bucket: {@code tokens} refilled for {@code elapsedNanos} (up to
     * {@code perMinute}), then {@code n} taken if they are there. More than a minute's worth never fits.
     */
    public static Level refill(double tokens, long elapsedNanos, int perMinute, int n) {
        double perNano = perMinute / 60e9;
        double level = Math.min(perMinute, tokens + Math.max(0, elapsedNanos) * perNano);
        if (level >= n) return new Level(level - n, 0);
        if (n > perMinute) return new Level(level, 60);
        return new Level(level, Math.max(1, (long) Math.ceil((n - level) / perNano / 1e9)));
    }

    public RateLimiter(int perMinute) {
        this(perMinute, System::nanoTime);
    }

    /** 0 when {@code key} may go ahead (and its token is taken), else the seconds to wait. */
    public long acquire(String key) {
        return acquire(key, 1);
    }

    /**
     * 0 when {@code key} may go ahead with {@code tokens} requests at once (all are taken), else
     * the seconds until the bucket holds them (none is taken). More than a minute's worth never fits.
     */
    public long acquire(String key, int tokens) {
        if (perMinute == 0) return 0;
        if (tokens < 1) throw new IllegalArgumentException("tokens must be >= 1, got " + tokens);
        if (shared != null) return shared.take(key, perMinute, tokens);
        return buckets.computeIfAbsent(key, k -> new Bucket(perMinute, nanoClock.getAsLong())).take(perMinute, tokens, nanoClock.getAsLong());
    }

    private static final class Bucket {
        private double tokens;
        private long lastNanos;

        Bucket(int capacity, long now) {
            tokens = capacity;
            lastNanos = now;
        }

        synchronized long take(int perMinute, int n, long now) {
            Level after = refill(tokens, now - lastNanos, perMinute, n);
            tokens = after.tokens();
            lastNanos = now;
            return after.waitSeconds();
        }
    }
}
