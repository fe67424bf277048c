package mmgp.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import javax.tools.ToolProvider;
import mmgp.bindings.NativeLibraries;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's embedding example (examples/embedding) compiles against the engine and makes an image from the tiny aMUSEd. */
class EmbeddingExampleTest {
    static final Path EXAMPLE = Path.of("../examples/embedding/GenerateImage.java");

    @Test
    void theExampleCompilesAndWritesAnImage(@TempDir Path tmp) throws Exception {
        var javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac).as("a JDK compiler").isNotNull();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, null, diagnostics, "-d", tmp.toString(), "-cp", System.getProperty("java.class.path"), EXAMPLE.toString());
        assertThat(rc).as(diagnostics.toString(StandardCharsets.UTF_8)).isZero();

        assumeTrue(NativeLibraries.available(), "native libs not built");
        Path out = tmp.resolve("fox.jpg");
        PrintStream oldOut = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {tmp.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            loader.loadClass("GenerateImage").getMethod("main", String[].class)
                    .invoke(null, (Object) new String[] {"src/test/resources/fixtures/amused/checkpoint", "a red fox", out.toString(), "2"});
        } finally {
            System.setOut(oldOut);
        }
        var img = ImageIO.read(out.toFile());
        assertThat(img).isNotNull();
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("wrote " + out).contains("seed 42");
        assertThat(List.of(img.getWidth(), img.getHeight())).allMatch(n -> n > 0);
    }
}
