package mmgp.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import mmgp.bindings.NativeLibraries;
import mmgp.graph.ComputeBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fixture base (it holds no tests) of the tests that compute through ggml: one CPU backend per test class with two threads,
 * so that the multi-threaded split of every kernel is exercised; the class is skipped where the
 * native libraries are not built.
 */
public abstract class CpuBackendFixture {
    protected static ComputeBackend backend;

    @BeforeAll
    protected static void openBackend() {
        assumeTrue(NativeLibraries.available(), "native ggml libraries not built");
        backend = ComputeBackend.cpu(2);
    }

    @AfterAll
    protected static void closeBackend() {
        if (backend != null) backend.close();
        backend = null;
    }
}
