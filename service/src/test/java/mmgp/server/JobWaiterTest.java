package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import mmgp.api.ImageRequest;
import mmgp.api.PipelineOptions;
import mmgp.api.Task;
import mmgp.api.UnderstandRequest;
import mmgp.api.VideoRequest;
import org.junit.jupiter.api.Test;

/** Waits on jobs without a request around them: a job that already ended, one that does not, a stream that fails after its start. */
class JobWaiterTest {
    /** Jobs that answer watch() with the state and, when {@code ended}, the end at once; describe() fails when {@code describeFails}. */
    static final class StubJobs implements Jobs {
        final boolean ended;
        final boolean describeFails;
        int cancels;
        /** A job watch() does not find (404), as one retention deleted. */
        String missing;
        final List<EventSink> sinks = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<String> cancelled = new java.util.concurrent.CopyOnWriteArrayList<>();
        final java.util.concurrent.atomic.AtomicInteger streamReleases = new java.util.concurrent.atomic.AtomicInteger();

        StubJobs(boolean ended, boolean describeFails) {
            this.ended = ended;
            this.describeFails = describeFails;
        }

        @Override
        public void watch(String id, EventSink sink) {
            if (id.equals(missing)) throw ApiException.notFound("no request with id " + id);
            sinks.add(sink);
            sink.offer(new JobEvent("state", "{\"status\": \"running\", \"caption\": \"a\"}"));
            if (ended) sink.end();
        }

        @Override
        public ObjectNode describe(String id) {
            if (describeFails) throw new IllegalStateException("the database went away");
            return new ObjectMapper().createObjectNode().put("request_id", id).put("status", "done").put("caption", "a b");
        }

        @Override
        public boolean cancel(String id) {
            cancels++;
            cancelled.add(id);
            return false;
        }

        @Override public boolean hasModel(Task task) { return true; }
        @Override public void submitImage(String id, ImageRequest r, String keyId) { throw new UnsupportedOperationException(); }
        @Override public void submitVideo(String id, VideoRequest r, String keyId) { throw new UnsupportedOperationException(); }
        @Override public void submitUnderstand(String id, UnderstandRequest r, String upload, String keyId) { throw new UnsupportedOperationException(); }
        @Override public void submitPipeline(String id, Path video, PipelineOptions o, String keyId) { throw new UnsupportedOperationException(); }
        @Override public String requireOwner(String id, String callerKeyId) { return id; }
        @Override public void requireStreamRoom(String id) {}
        @Override public StreamSlots streamSlots() { return new StreamSlots(JobService.MAX_STREAMS_PER_JOB); }
        @Override public void releaseStreamRoom(String id) { streamReleases.incrementAndGet(); }
        @Override public void stream(String id, EventChannel channel) { throw new UnsupportedOperationException(); }
        @Override public java.util.List<Listed> list(JobQuery q) { return java.util.List.of(); }
        @Override public Optional<Path> download(String id, String name) { return Optional.empty(); }
        @Override public Path uploadDir(String id) { throw new UnsupportedOperationException(); }
        @Override public long retryAfterSeconds(Task task) { return 1; }
    }

    @Test
    void aZeroWaitAnswersAJobThatHasEndedAndDoesNotWaitForOneThatHasNot() throws Exception {
        assertThat(JobWaiter.awaitAsync(new StubJobs(true, false), "j", Duration.ZERO, null).get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(JobWaiter.awaitAsync(new StubJobs(false, false), "j", Duration.ZERO, null).get(5, TimeUnit.SECONDS)).isFalse();
        assertThat(JobWaiter.awaitAsync(new StubJobs(false, false), "j", Duration.ofMillis(50), null).get(5, TimeUnit.SECONDS)).isFalse();
    }

    @Test
    void aSlotIsReleasedWhenItsWaitEnds() throws Exception {
        try (AutoCloseable cap = JobWaiter.limitForTests(1)) {
            JobWaiter.Slot slot = JobWaiter.reserve();
            assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(ApiException.class, JobWaiter::reserve).status()).isEqualTo(503);
            JobWaiter.awaitAsync(new StubJobs(true, false), "j", Duration.ofSeconds(5), slot).get(5, TimeUnit.SECONDS);
            JobWaiter.reserve().close();
        }
    }

    @Test
    void anErrorAfterAStreamStartedIsAnErrorEventThenDone() {
        ObjectMapper json = new ObjectMapper();
        StubJobs jobs = new StubJobs(true, true);
        OpenAiChat chat = new OpenAiChat(null, jobs, null, json);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        chat.stream(out, "j", "chatcmpl-j", "mmgp-understand", false);
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.isEmpty()).toList();
        assertThat(lines).hasSize(4); // role, the piece already said ("a"), the error, [DONE]
        assertThat(lines).allMatch(l -> l.startsWith("data: "));
        assertThat(lines.get(1)).contains("\"content\":\"a\"");
        assertThat(lines.get(2)).startsWith("data: {\"error\":").contains("\"type\":\"server_error\"").contains("\"code\":\"internal_error\"");
        assertThat(lines.get(3)).isEqualTo("data: [DONE]");
        assertThat(jobs.cancels).isEqualTo(1); // nobody reads the rest of a job that may still run
    }
}
