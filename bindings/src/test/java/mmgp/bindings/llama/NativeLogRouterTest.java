package mmgp.bindings.llama;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
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
}
