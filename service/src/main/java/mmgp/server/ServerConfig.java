package mmgp.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything {@code mmgp serve} is told on its command line, checked once: a server that would be
 * unsafe (no keys and no {@code --no-auth}, or {@code --no-auth} on a public address) is refused
 * here, before anything listens.
 *
 * @param port               0 picks a free port (tests)
 * @param rateLimitPerMinute requests per minute per API key; 0 switches the limit off
 * @param metricsNeedAuth    whether {@code /metrics} asks for a key like the API does
 * @param sweepInterval      how often the retention sweep looks for expired jobs
 */
public record ServerConfig(String host, int port, Path dataDir, List<String> apiKeys, boolean noAuth,
                           boolean metricsNeedAuth, int rateLimitPerMinute, long maxUploadBytes, RequestLimits limits,
                           List<String> corsOrigins, Duration retention, Duration sweepInterval, boolean requeueOnRestart) {
    public ServerConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(limits, "limits");
        apiKeys = List.copyOf(apiKeys);
        corsOrigins = List.copyOf(corsOrigins);
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
        if (noAuth && !apiKeys.isEmpty()) throw new IllegalArgumentException("--no-auth and API keys exclude each other");
        if (noAuth && !isLoopback(host)) {
            throw new IllegalArgumentException("--no-auth is refused on " + host + ": bind to a loopback address (127.0.0.1, ::1, localhost) or give API keys");
        }
        if (!noAuth && apiKeys.isEmpty()) throw new IllegalArgumentException("no API key given: use --api-key K, --api-keys-file F, or --no-auth on a loopback host");
        for (String k : apiKeys) {
            if (k.isBlank() || k.chars().anyMatch(Character::isWhitespace)) throw new IllegalArgumentException("API keys must be non-empty and contain no whitespace");
        }
        new ApiKeys(apiKeys); // refuses two keys with one id here, before anything starts
        if (rateLimitPerMinute < 0) throw new IllegalArgumentException("rate limit must be >= 0 per minute, got " + rateLimitPerMinute);
        if (maxUploadBytes < 1) throw new IllegalArgumentException("max upload size must be positive, got " + maxUploadBytes + " bytes");
        if (retention.isNegative() || retention.isZero()) throw new IllegalArgumentException("retention must be positive, got " + retention);
        if (sweepInterval.isNegative() || sweepInterval.isZero()) throw new IllegalArgumentException("sweep interval must be positive, got " + sweepInterval);
        for (String o : corsOrigins) {
            if (!o.matches("https?://[^/\\s]+")) throw new IllegalArgumentException("CORS origin must look like http(s)://host[:port], got " + o);
        }
    }

    /** Loopback, no keys, defaults elsewhere: what the tests and a local demo start from. */
    public static ServerConfig localNoAuth(Path dataDir) {
        return new ServerConfig("127.0.0.1", 0, dataDir, List.of(), true, false, 0, 512L << 20, RequestLimits.defaults(),
                List.of(), Duration.ofHours(24), Duration.ofMinutes(10), false);
    }

    public ServerConfig withApiKeys(List<String> keys) {
        return new ServerConfig(host, port, dataDir, keys, keys.isEmpty(), metricsNeedAuth, rateLimitPerMinute, maxUploadBytes, limits,
                corsOrigins, retention, sweepInterval, requeueOnRestart);
    }

    public ServerConfig withRateLimit(int perMinute) {
        return new ServerConfig(host, port, dataDir, apiKeys, noAuth, metricsNeedAuth, perMinute, maxUploadBytes, limits, corsOrigins,
                retention, sweepInterval, requeueOnRestart);
    }

    public ServerConfig withMaxUploadBytes(long bytes) {
        return new ServerConfig(host, port, dataDir, apiKeys, noAuth, metricsNeedAuth, rateLimitPerMinute, bytes, limits, corsOrigins,
                retention, sweepInterval, requeueOnRestart);
    }

    public ServerConfig withLimits(RequestLimits l) {
        return new ServerConfig(host, port, dataDir, apiKeys, noAuth, metricsNeedAuth, rateLimitPerMinute, maxUploadBytes, l, corsOrigins,
                retention, sweepInterval, requeueOnRestart);
    }

    public ServerConfig withCorsOrigins(List<String> origins) {
        return new ServerConfig(host, port, dataDir, apiKeys, noAuth, metricsNeedAuth, rateLimitPerMinute, maxUploadBytes, limits, origins,
                retention, sweepInterval, requeueOnRestart);
    }

    public ServerConfig withMetricsNeedAuth(boolean need) {
        return new ServerConfig(host, port, dataDir, apiKeys, noAuth, need, rateLimitPerMinute, maxUploadBytes, limits, corsOrigins,
                retention, sweepInterval, requeueOnRestart);
    }

    public ServerConfig withRetention(Duration keep, Duration sweepEvery) {
        return new ServerConfig(host, port, dataDir, apiKeys, noAuth, metricsNeedAuth, rateLimitPerMinute, maxUploadBytes, limits,
                corsOrigins, keep, sweepEvery, requeueOnRestart);
    }

    public ServerConfig withRequeueOnRestart(boolean requeue) {
        return new ServerConfig(host, port, dataDir, apiKeys, noAuth, metricsNeedAuth, rateLimitPerMinute, maxUploadBytes, limits,
                corsOrigins, retention, sweepInterval, requeue);
    }

    /** True for 127.0.0.0/8, ::1 and names that resolve only to them; a wildcard (0.0.0.0) is not loopback. */
    static boolean isLoopback(String host) {
        try {
            InetAddress[] all = InetAddress.getAllByName(host);
            for (InetAddress a : all) if (!a.isLoopbackAddress()) return false;
            return all.length > 0;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
