package mmgp.server;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/** Starts servers for the tests: loopback, a random port, fake models, two API keys. */
final class TestServers {
    static final String KEY = "test-key-0123456789";
    static final String OTHER_KEY = "other-key-9876543210";

    /** The fake models never read an upload, so the tests send a few bytes instead of a video (UploadProbeTest checks the real probe). */
    static final HttpGuards FAKE_UPLOADS = HttpGuards.defaults().withUploads(UploadProbe.NONE);

    private TestServers() {}

    static ServerConfig config(Path dataDir) {
        return ServerConfig.localNoAuth(dataDir).withApiKeys(List.of(KEY, OTHER_KEY));
    }

    static ApiServer start(ServerConfig config, FakeModels models, int queueCapacity) throws Exception {
        return ApiServer.start(config, models.builder(queueCapacity), FAKE_UPLOADS);
    }

    static ApiServer start(ServerConfig config, mmgp.engine.Engine.Builder engine) throws Exception {
        return ApiServer.start(config, engine, FAKE_UPLOADS);
    }

    static Http client(ApiServer server) {
        return new Http(server.url(), KEY);
    }

    /** A clock the test moves by hand (retention). */
    static final class MovableClock extends Clock {
        private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));

        void advance(Duration d) {
            now.updateAndGet(i -> i.plus(d));
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    }
}
