package mmgp.bindings;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * The C library calls the engine needs beyond ggml: {@code madvise(addr, len, MADV_DONTNEED)}
 * to drop the resident pages of a read-only file mapping (mapped weights that are done with), so
 * that the process's RSS falls (a later read faults the pages back in from the file); and
 * {@code setenv}, to give the native libraries' own runtime (OpenMP) a setting before they load.
 */
public final class Libc {
    /** MADV_DONTNEED: 4 on Linux and on macOS/BSD. */
    static final int MADV_DONTNEED = 4;
    private static final MethodHandle MADVISE = bindMadvise();
    private static final long PAGE_SIZE = queryPageSize();

    private Libc() {}

    private static MethodHandle bindMadvise() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (!(os.contains("linux") || os.contains("mac") || os.contains("bsd"))) return null;
        Linker linker = Linker.nativeLinker();
        return linker.defaultLookup().find("madvise")
                .map(f -> linker.downcallHandle(f, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT)))
                .orElse(null);
    }

    private static long queryPageSize() {
        Linker linker = Linker.nativeLinker();
        return linker.defaultLookup().find("getpagesize").map(f -> {
            try {
                return (long) (int) linker.downcallHandle(f, FunctionDescriptor.of(ValueLayout.JAVA_INT)).invokeExact();
            } catch (Throwable t) {
                return 4096L;
            }
        }).filter(p -> p > 0).orElse(4096L);
    }

    /**
     * setenv(name, value, 0): sets a variable of the process's C environment unless it is set
     * already (the JVM's {@link System#getenv} copy does not see it). Returns whether the
     * variable now exists; false where the C library has no setenv (Windows).
     */
    public static boolean setenvIfAbsent(String name, String value) {
        Linker linker = Linker.nativeLinker();
        var setenv = linker.defaultLookup().find("setenv");
        if (setenv.isEmpty()) return false;
        MethodHandle h = linker.downcallHandle(setenv.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            return (int) h.invokeExact(arena.allocateFrom(name), arena.allocateFrom(value), 0) == 0;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** The OS page size (getpagesize(); 4096 where it cannot be asked). */
    public static long pageSize() {
        return PAGE_SIZE;
    }

    /** Whether {@link #dropPages} can do anything on this OS. */
    public static boolean canDropPages() {
        return MADVISE != null;
    }

    /**
     * madvise(MADV_DONTNEED) over the whole pages inside [address, address + length): pages only
     * partly inside are kept (a neighbour may still need them). Only for clean, file-backed or
     * otherwise re-creatable memory. Returns the bytes advised (0 when unsupported or nothing
     * whole lies inside); a failing call is reported as 0, never as an exception.
     */
    public static long dropPages(long address, long length, long pageSize) {
        if (MADVISE == null || length <= 0) return 0;
        long start = (address + pageSize - 1) / pageSize * pageSize;
        long end = (address + length) / pageSize * pageSize;
        if (end <= start) return 0;
        try {
            int rc = (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), end - start, MADV_DONTNEED);
            return rc == 0 ? end - start : 0;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }
}
