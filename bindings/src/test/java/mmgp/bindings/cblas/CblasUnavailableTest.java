package mmgp.bindings.cblas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Without a CBLAS library, Cblas reports why instead of failing to load, and a call throws an
 * exception that says what to install. Checked in a child JVM pointed at a library that does
 * not exist, since Cblas loads once per process.
 */
class CblasUnavailableTest {
    @Test
    void missingLibraryIsReportedNotThrown() throws Exception {
        String classpath = String.join(File.pathSeparator, location(Cblas.class), location(CblasUnavailableProbe.class));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "-Dmmgp.cblas.library=libmmgp-no-such-blas.so", "-cp", classpath, CblasUnavailableProbe.class.getName()))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("available=false");
        assertThat(out).contains("reason=no CBLAS library found").contains("libmmgp-no-such-blas.so");
        assertThat(out).contains("call=NativeLibraryException").contains("CBLAS is not available");
        if (!System.getProperty("os.name").toLowerCase().contains("mac")) assertThat(out).contains("apt-get install libopenblas0");
    }

    private static String location(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }
}
