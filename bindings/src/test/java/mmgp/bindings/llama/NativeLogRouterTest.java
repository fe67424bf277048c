package mmgp.bindings.llama;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import mmgp.bindings.llama.LlamaLog.Source;
import org.junit.jupiter.api.Test;

/** Fragments become whole lines, CONT keeps the previous level, levels go one step quieter. */
class NativeLogRouterTest {
    record Line(Source source, Level level, String text) {}

    final List<Line> lines = new ArrayList<>();
    final NativeLogRouter router = new NativeLogRouter((s, l, t) -> lines.add(new Line(s, l, t)));

    @Test
    void levelsAreShiftedOneStepQuieter() {
        assertThat(NativeLogRouter.level(LlamaLog.LEVEL_DEBUG)).isEqualTo(Level.TRACE);
        assertThat(NativeLogRouter.level(LlamaLog.LEVEL_INFO)).isEqualTo(Level.DEBUG);
        assertThat(NativeLogRouter.level(LlamaLog.LEVEL_WARN)).isEqualTo(Level.WARNING);
        assertThat(NativeLogRouter.level(LlamaLog.LEVEL_ERROR)).isEqualTo(Level.ERROR);
    }

    @Test
    void partialLinesWaitForTheirNewlineAndContKeepsTheLevel() {
        router.log(Source.LLAMA, LlamaLog.LEVEL_WARN, "load_tensors: ");
        assertThat(lines).isEmpty();
        router.log(Source.LLAMA, LlamaLog.LEVEL_CONT, "CPU model buffer");
        router.log(Source.LLAMA, LlamaLog.LEVEL_CONT, " size = 1 MiB\nsecond line\n");
        assertThat(lines).containsExactly(
                new Line(Source.LLAMA, Level.WARNING, "load_tensors: CPU model buffer size = 1 MiB"),
                new Line(Source.LLAMA, Level.WARNING, "second line"));
    }

    @Test
    void aNewMessageEndsAnUnterminatedOneAndBlankLinesAreDropped() {
        router.log(Source.GGML, LlamaLog.LEVEL_INFO, "no newline");
        router.log(Source.GGML, LlamaLog.LEVEL_ERROR, "\nboom\r\n");
        assertThat(lines).containsExactly(
                new Line(Source.GGML, Level.DEBUG, "no newline"),
                new Line(Source.GGML, Level.ERROR, "boom"));
    }

    @Test
    void librariesAreBufferedApart() {
        router.log(Source.LLAMA, LlamaLog.LEVEL_INFO, "llama ");
        router.log(Source.MTMD, LlamaLog.LEVEL_INFO, "clip line\n");
        router.log(Source.LLAMA, LlamaLog.LEVEL_CONT, "continued\n");
        assertThat(lines).containsExactly(
                new Line(Source.MTMD, Level.DEBUG, "clip line"),
                new Line(Source.LLAMA, Level.DEBUG, "llama continued"));
    }

    @Test
    void aLineWithoutNewlineIsCutAtTheLimit() {
        router.log(Source.LLAMA, LlamaLog.LEVEL_INFO, "x".repeat(NativeLogRouter.MAX_LINE + 1));
        assertThat(lines).hasSize(1);
        assertThat(lines.getFirst().text()).hasSize(NativeLogRouter.MAX_LINE + 1);
    }

    @Test
    void flushWritesTheUnterminatedLinesOfEveryLibraryOnceAtTheirLevels() {
        router.log(Source.LLAMA, LlamaLog.LEVEL_WARN, "llama_model_load: ");
        router.log(Source.LLAMA, LlamaLog.LEVEL_CONT, "....");
        router.log(Source.MTMD, LlamaLog.LEVEL_ERROR, "clip: last words\r");
        router.log(Source.GGML, LlamaLog.LEVEL_INFO, "whole\n");
        assertThat(lines).containsExactly(new Line(Source.GGML, Level.DEBUG, "whole"));
        router.flush();
        assertThat(lines).containsExactly(
                new Line(Source.GGML, Level.DEBUG, "whole"),
                new Line(Source.LLAMA, Level.WARNING, "llama_model_load: ...."),
                new Line(Source.MTMD, Level.ERROR, "clip: last words"));
        router.flush();
        assertThat(lines).as("flushed lines are not written again").hasSize(3);
        router.log(Source.LLAMA, LlamaLog.LEVEL_INFO, "next\n");
        assertThat(lines.getLast()).isEqualTo(new Line(Source.LLAMA, Level.DEBUG, "next"));
    }

    @Test
    void aBlockedLoggerDoesNotHoldUpOtherThreadsThatLog() throws Exception {
        CountDownLatch blocked = new CountDownLatch(1), release = new CountDownLatch(1);
        List<Line> got = new CopyOnWriteArrayList<>();
        NativeLogRouter slow = new NativeLogRouter((s, l, t) -> {
            if (t.equals("unterminated")) {
                blocked.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            got.add(new Line(s, l, t));
        });
        slow.log(Source.LLAMA, LlamaLog.LEVEL_INFO, "unterminated");
        // Own threads: the common pool may have a single worker on a small machine.
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool();
        // A new message ends the unterminated one: that line goes to the (blocking) logger.
        CompletableFuture<Void> first = CompletableFuture.runAsync(() -> slow.log(Source.LLAMA, LlamaLog.LEVEL_WARN, "next\n"), threads);
        try {
            assertThat(blocked.await(5, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Void> other = CompletableFuture.runAsync(() -> slow.log(Source.GGML, LlamaLog.LEVEL_INFO, "meanwhile\n"), threads);
            other.get(5, TimeUnit.SECONDS); // times out when the first thread writes under the router's lock
            assertThat(got).containsExactly(new Line(Source.GGML, Level.DEBUG, "meanwhile"));
        } finally {
            release.countDown();
        }
        first.get(5, TimeUnit.SECONDS);
        threads.shutdown();
        assertThat(got).containsExactly(
                new Line(Source.GGML, Level.DEBUG, "meanwhile"),
                new Line(Source.LLAMA, Level.DEBUG, "unterminated"),
                new Line(Source.LLAMA, Level.WARNING, "next"));
    }
}
