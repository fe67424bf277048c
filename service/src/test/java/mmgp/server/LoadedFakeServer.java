package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of test classes that share one server for all their tests, with its {@link FakeModels}
 * loaded before the first test: loaded models check a request's options when it is submitted
 * (before loading, a model-specific refusal only fails the job later), which is what these
 * classes test. A class changes the server through {@link #start}. It holds no tests of its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class LoadedFakeServer {
    FakeModels models;
    ApiServer server;
    Http http;

    /** The server over {@code models}, its data under {@code dir}; by default the fakes in batches of up to 8. */
    ApiServer start(Path dir, FakeModels models) throws Exception {
        return TestServers.start(TestServers.config(dir.resolve("data")), models, 8);
    }

    @BeforeAll
    void startLoaded(@TempDir Path dir) throws Exception {
        models = new FakeModels(dir);
        server = start(dir, models);
        http = TestServers.client(server);
        assertThat(http.get("/readyz?load=true").status()).isEqualTo(200);
    }

    @AfterAll
    void stopServer() {
        server.close();
    }
}
