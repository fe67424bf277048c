package mmgp.server;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of test classes that want a fresh server for every test: {@link FakeModels} in batches of
 * up to 8, two keys on loopback, and an HTTP client pointed at it. Held fakes are released before
 * the server closes, so a test that leaves a job waiting does not hold up the next one. It holds
 * no tests of its own.
 */
abstract class FakeServer {
    @TempDir
    Path dir;
    FakeModels models;
    ApiServer server;
    Http http;

    @BeforeEach
    void startServer() throws Exception {
        models = new FakeModels(dir);
        server = TestServers.start(TestServers.config(dir.resolve("data")), models, 8);
        http = TestServers.client(server);
    }

    @AfterEach
    void stopServer() {
        models.image.hold.countDown();
        models.understand.hold.countDown();
        server.close();
    }
}
