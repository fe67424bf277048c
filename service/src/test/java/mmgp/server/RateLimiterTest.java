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
    void severalTokensAreTakenAllOrNone() {
        AtomicLong now = new AtomicLong();
        RateLimiter limiter = new RateLimiter(6, now::get); // one token per 10 s
        assertThat(limiter.acquire("a", 4)).isZero();
        assertThat(limiter.acquire("a", 3)).isEqualTo(10); // 2 left: none is taken, one more comes in 10 s
        assertThat(limiter.acquire("a", 2)).isZero();
        assertThat(limiter.acquire("a")).isEqualTo(10);
        assertThat(limiter.acquire("a", 7)).isEqualTo(60); // more than the bucket holds never fits
    }

    @Test
    void zeroMeansUnlimited() {
        RateLimiter limiter = new RateLimiter(0);
        for (int i = 0; i < 1000; i++) assertThat(limiter.acquire("a")).isZero();
    }
}
