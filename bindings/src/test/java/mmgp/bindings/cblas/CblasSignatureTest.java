package mmgp.bindings.cblas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import mmgp.bindings.CHeaderPrototypes;
import org.junit.jupiter.api.Test;

/**
 * Every Cblas binding matches its prototype in the system's cblas.h (OpenBLAS's when
 * libopenblas-dev is installed); skipped when no header is present.
 */
class CblasSignatureTest {
    private static final List<Path> HEADERS = List.of(
            Path.of("/usr/include/x86_64-linux-gnu/cblas.h"), Path.of("/usr/include/aarch64-linux-gnu/cblas.h"),
            Path.of("/usr/include/cblas.h"), Path.of("/usr/include/openblas/cblas.h"), Path.of("/opt/homebrew/opt/openblas/include/cblas.h"));

    @Test
    void bindingsMatchCblasH() throws Exception {
        Optional<Path> header = HEADERS.stream().filter(Files::isRegularFile).findFirst();
        assumeTrue(header.isPresent(), "no cblas.h found (Debian: apt-get install libopenblas-dev); signatures not checked");
        Map<String, CHeaderPrototypes.Prototype> prototypes = CHeaderPrototypes.parse(List.of(header.get()));
        assertThat(prototypes).as("prototypes parsed from " + header.get()).containsKeys("cblas_sgemm", "cblas_dgemm", "cblas_sdot");

        List<String> problems = new ArrayList<>();
        for (Cblas.Binding b : Cblas.bindings()) problems.addAll(CHeaderPrototypes.mismatches(b.name(), b.descriptor(), prototypes, header.get()));
        assertThat(problems).isEmpty();
        assertThat(Stream.of("cblas_sgemm", "cblas_sgemv", "cblas_saxpy", "cblas_sscal", "cblas_sdot"))
                .allMatch(n -> Cblas.bindings().stream().anyMatch(b -> b.name().equals(n)));
    }
}
