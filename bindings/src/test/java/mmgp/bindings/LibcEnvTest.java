package mmgp.bindings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The native environment the OpenMP runtime reads: set when absent, never overridden. */
class LibcEnvTest {
    static String cGetenv(String name) throws Throwable {
        Linker linker = Linker.nativeLinker();
        var h = linker.downcallHandle(linker.defaultLookup().find("getenv").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = (MemorySegment) h.invokeExact(a.allocateFrom(name));
            return v.equals(MemorySegment.NULL) ? null : v.reinterpret(4096).getString(0);
        }
    }

    @Test
    void setenvIfAbsentSetsOnceAndKeepsAnExistingValue() throws Throwable {
        assumeTrue(!System.getProperty("os.name", "").toLowerCase().contains("win"), "no setenv on Windows");
        String name = "MMGP_TEST_ENV_" + ProcessHandle.current().pid();
        assertThat(cGetenv(name)).isNull();
        assertThat(Libc.setenvIfAbsent(name, "first")).isTrue();
        assertThat(cGetenv(name)).isEqualTo("first");
        assertThat(Libc.setenvIfAbsent(name, "second")).isTrue();
        assertThat(cGetenv(name)).isEqualTo("first");
    }

    @Test
    void loadingTheLibrariesLeavesGompSpincountSetForOpenMp() throws Throwable {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        String outer = System.getenv("GOMP_SPINCOUNT");
        assertThat(cGetenv("GOMP_SPINCOUNT")).isEqualTo(outer != null ? outer : NativeLibraries.DEFAULT_GOMP_SPINCOUNT);
    }
}
