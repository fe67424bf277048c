package mmgp.engine;

import static mmgp.engine.FakeModels.await;
import static mmgp.engine.FakeModels.drawing;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mmgp.api.ImageResult;
import mmgp.api.ProgressListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Callers hear when their request leaves the queue, before any progress of its run (a server shows "running"). */
@Timeout(30)
class EngineStartedEventTest {
    @TempDir
    Path dir;

    @Test
    void aQueuedRequestHearsStartedOnlyWhenItsBatchBegins() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().build()) {
            fakes.image.hold();
            List<String> first = new CopyOnWriteArrayList<>(), second = new CopyOnWriteArrayList<>();
            Job<ImageResult> a = engine.generateImage(drawing("a", 1), recorder(first));
            fakes.image.awaitStart();
            Job<ImageResult> b = engine.generateImage(drawing("b", 2), recorder(second));
            assertThat(first).startsWith("started image");
            assertThat(second).as("still queued").isEmpty();
            fakes.image.release();
            await(a.result());
            await(b.result());
            assertThat(second).startsWith("started image");
            assertThat(second.stream().filter(e -> e.startsWith("started"))).hasSize(1);
        }
    }

    private static ProgressListener recorder(List<String> events) {
        return new ProgressListener() {
            @Override
            public void started(String stage) {
                events.add("started " + stage);
            }

            @Override
            public void step(String stage, int done, int total, double seconds) {
                events.add("step " + stage);
            }
        };
    }
}
