package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import mmgp.bindings.NativeLibraries;
import mmgp.cli.Main;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** The log is JSON lines by default, readable text on request; llama.cpp's lines are log events like mmgp's. */
class LogFormatTest {
    static final String TIMESTAMP = "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} ";

    @Test
    void switchesBetweenTextAndJsonAtRunTime() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        assertThat(context.getLogger("ROOT").getAppender("json")).as("logback.xml's default").isNotNull();
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            LogFormat.TEXT.install();
            MDC.put("request_id", "req-42");
            LoggerFactory.getLogger("mmgp.logtest").warn("text line");
            MDC.remove("request_id");
            LoggerFactory.getLogger("mmgp.logtest").warn("no request");
            LogFormat.JSON.install();
            LoggerFactory.getLogger("mmgp.logtest").warn("json line");
        } finally {
            LogFormat.JSON.install();
            System.setErr(saved);
        }
        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("mmgp.logtest")).toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).matches(TIMESTAMP + "WARN  mmgp\\.logtest \\[[^]]+\\] req-42 text line");
        assertThat(lines.get(1)).matches(TIMESTAMP + "WARN  mmgp\\.logtest \\[[^]]+\\] no request");
        assertThat(lines.get(2)).startsWith("{").contains("\"loggerName\":\"mmgp.logtest\"").contains("json line");
        assertThat(context.getLogger("ROOT").getAppender("text")).isNull();
    }

    @Test
    void badFormatOrLevelIsNamed() {
        assertThat(runServe("--log-format", "xml")).contains("--log-format must be json or text, got xml");
        assertThat(runServe("--log-level", "loud")).contains("--log-level must be ERROR, WARN, INFO, DEBUG or TRACE");
    }

    @Test
    void environmentChoosesTextAndNativeErrorsAreLogEvents() throws Exception {
        String text = childStderr("text");
        assertThat(text).contains("INFO  mmgp.probe").contains("hello from mmgp").doesNotContain("hidden by default");
        List<String> lines = logLines(text);
        assertThat(lines).isNotEmpty().allSatisfy(l -> assertThat(l).containsPattern("^" + TIMESTAMP));
        if (NativeLibraries.available()) {
            assertThat(text).containsPattern(TIMESTAMP + "ERROR (ggml|llama\\.cpp) ");
            assertThat(text).contains("llama_model_load_from_file_impl: failed to load model");
        }

        String json = childStderr(null);
        assertThat(logLines(json)).isNotEmpty().allSatisfy(l -> assertThat(l).startsWith("{"));
        if (NativeLibraries.available()) assertThat(json).contains("\"loggerName\":\"llama.cpp\"").contains("\"level\":\"ERROR\"");
    }

    /** Stderr lines that are not the JVM's own warnings. */
    private static List<String> logLines(String stderr) {
        return stderr.lines().filter(l -> !l.isBlank() && !l.startsWith("WARNING:")).toList();
    }

    private static String childStderr(String format) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), LogFormatProbe.class.getName()));
        builder.environment().remove("MMGP_LOG_FORMAT");
        builder.environment().remove("MMGP_LOG_LEVEL");
        if (format != null) builder.environment().put("MMGP_LOG_FORMAT", format);
        Process p = builder.start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        String out = read(p.getInputStream());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String stderr = err.get(10, TimeUnit.SECONDS);
        assertThat(p.exitValue()).as(out + stderr).isZero();
        return stderr;
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String runServe(String... extra) {
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            String[] args = {"serve", "--api-key", "k-123", "--port", "0", "--models", "/nonexistent-mmgp-models", "--data-dir", "/tmp/mmgp-logtest"};
            String[] all = Arrays.copyOf(args, args.length + extra.length);
            System.arraycopy(extra, 0, all, args.length, extra.length);
            assertThat(Main.run(all)).isEqualTo(1);
        } finally {
            System.setErr(saved);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
