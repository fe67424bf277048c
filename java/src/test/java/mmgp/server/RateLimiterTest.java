package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
    @Test
    void bucketEmptiesThenRefillsAtTheConfiguredRate() {
        AtomicLong now = new AtomicLong();
        RateLimiter limiter = new RateLimiter(6, now::get); // one token per 10 s
        for (int i = 0; i < 6; i++) assertThat(limiter.acquire("a")).isZero();
        assertThat(limiter.acquire("a")).isEqualTo(10);
        now.addAndGet(4_000_000_000L);
        assertThat(limiter.acquire("a")).isEqualTo(6);
        now.addAndGet(6_000_000_000L);
        assertThat(limiter.acquire("a")).isZero();
        assertThat(limiter.acquire("b")).isZero();
        now.addAndGet(3_600_000_000_000L); // an hour: the bucket holds at most its capacity
        for (int i = 0; i < 6; i++) assertThat(limiter.acquire("a")).isZero();
        assertThat(limiter.acquire("a")).isPositive();
    }

    @Test
    void zeroMeansUnlimited() {
        RateLimiter limiter = new RateLimiter(0);
        for (int i = 0; i < 1000; i++) assertThat(limiter.acquire("a")).isZero();
    }
}
