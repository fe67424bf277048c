package mmgp.bindings.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The precondition of the kernel tests: the mmgp kernels library is loaded. */
final class KernelsLibrary {
    private KernelsLibrary() {}

    /**
     * Fails, naming why, when the library is missing (the build makes it, so missing is a build
     * problem); with {@code -Dmmgp.allowNoNative=true} the test class is skipped instead.
     */
    static void require() {
        if (Boolean.getBoolean("mmgp.allowNoNative")) {
            assumeTrue(MmgpKernels.isAvailable(), "mmgp.allowNoNative is set and the kernels are not built");
        }
        assertThat(MmgpKernels.isAvailable()).withFailMessage("the mmgp kernels library is missing: %s", MmgpKernels.unavailableReason())
                .isTrue();
    }
}
