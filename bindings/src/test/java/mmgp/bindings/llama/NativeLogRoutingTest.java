package mmgp.bindings.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.llama.LlamaLog.Source;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * llama.cpp's model-load chatter goes through the log callback NativeLibraries installs, as whole
 * lines at DEBUG, and not to the process's stderr.
 */
class NativeLogRoutingTest {
    @TempDir
    Path dir;

    record Line(Source source, Level level, String text) {}

    @Test
    void loaderLinesArriveWholeAtDebug() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        Llama.backendInit();
        List<Line> lines = new CopyOnWriteArrayList<>();
        LlamaLog.forwardTo(new NativeLogRouter((s, l, t) -> lines.add(new Line(s, l, t))));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = Llama.modelDefaultParams(arena);
            LlamaModelParams.nGpuLayers(params, 0);
            Llama.modelFree(Llama.modelLoadFromFile(TinyLlamaModel.write(dir.resolve("tiny.gguf")), params));
        } finally {
            LlamaLog.routeToLoggers();
        }
        List<Line> loader = lines.stream().filter(l -> l.text().startsWith("llama_model_loader: - kv")).toList();
        assertThat(loader).as("metadata dump").hasSizeGreaterThan(5)
                .allSatisfy(l -> assertThat(l.level()).isEqualTo(Level.DEBUG))
                .allSatisfy(l -> assertThat(l.source()).isEqualTo(Source.LLAMA));
        assertThat(lines).allSatisfy(l -> assertThat(l.text()).doesNotContain("\n"));
        assertThat(lines).anySatisfy(l -> assertThat(l.text()).contains("general.name").contains("tiny-test-llama"));
    }

    @Test
    void nothingOfAModelLoadReachesStderr() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), NativeLogRoutingProbe.class.getName())).start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        String out = read(p.getInputStream());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String stderr = err.get(10, TimeUnit.SECONDS);
        assertThat(p.exitValue()).as(out + stderr).isZero();
        assertThat(stderr).doesNotContain("llama_model_loader").doesNotContain("load_tensors").doesNotContain("print_info");
        assertThat(out).containsPattern("loader=([1-9]\\d+)").contains("record FINE llama_model_loader:");
    }

    @Test
    void replacingTheRouterWritesOutItsUnterminatedLine() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        List<Line> lines = new CopyOnWriteArrayList<>();
        NativeLogRouter router = new NativeLogRouter((s, l, t) -> lines.add(new Line(s, l, t)));
        LlamaLog.forwardTo(router);
        try {
            router.log(Source.GGML, LlamaLog.LEVEL_INFO, "partial");
            assertThat(lines).isEmpty();
        } finally {
            LlamaLog.routeToLoggers();
        }
        assertThat(lines).containsExactly(new Line(Source.GGML, Level.DEBUG, "partial"));
    }

    @Test
    void anUnterminatedLineIsWrittenAtExit() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), NativeLogFlushProbe.class.getName())).start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        String out = read(p.getInputStream());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out + err.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(out).contains("exiting\nline LLAMA WARNING last words, no newline\n");
    }

    @Test
    void routingInstallsWhenGgmlLoadsTheLibrariesFirst() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), GgmlFirstLogProbe.class.getName())).start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        String out = read(p.getInputStream());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String stderr = err.get(10, TimeUnit.SECONDS);
        assertThat(p.exitValue()).as(out + stderr).isZero();
        assertThat(out).contains("ggml first: ok");
        assertThat(stderr).doesNotContain("native log routing not installed");
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
