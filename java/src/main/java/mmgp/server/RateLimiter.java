package mmgp.server;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * A token bucket per API key: {@code perMinute} tokens, refilled continuously at
 * {@code perMinute}/60 per second, one token per request. A refusal says how many whole
 * seconds until the next token (the Retry-After value).
 */
public final class RateLimiter {
    private final int perMinute;
    private final LongSupplier nanoClock;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    /** {@code perMinute} 0 lets everything through. */
    public RateLimiter(int perMinute, LongSupplier nanoClock) {
        if (perMinute < 0) throw new IllegalArgumentException("perMinute must be >= 0, got " + perMinute);
        this.perMinute = perMinute;
        this.nanoClock = nanoClock;
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
            double perNano = perMinute / 60e9;
            tokens = Math.min(perMinute, tokens + (now - lastNanos) * perNano);
            lastNanos = now;
            if (tokens >= n) {
                tokens -= n;
                return 0;
            }
            if (n > perMinute) return 60;
            return Math.max(1, (long) Math.ceil((n - tokens) / perNano / 1e9));
        }
    }
}
