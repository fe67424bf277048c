package mmgp.bindings.cblas;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import mmgp.bindings.Downcalls;
import mmgp.bindings.NativeLibraryException;

/**
 * The few single-precision CBLAS routines mmgp uses, from the system's BLAS: OpenBLAS on Linux,
 * Accelerate on macOS. Optional at run time: when no library is found, {@link #available()}
 * is false, {@link #unavailableReason()} says why, and the routines throw a
 * {@link NativeLibraryException} that names what to install.
 *
 * <p>Integer arguments are the LP64 {@code blasint} (32-bit); the ILP64 libopenblas64 is not
 * searched. {@code -Dmmgp.cblas.library=<name or path>} chooses the library explicitly.
 * CBLAS is not one of the pinned {@code NativeLibrary} builds, so its bindings are listed by
 * {@link #bindings()} rather than in {@code Downcalls}.
 */
public final class Cblas {
    /** enum CBLAS_ORDER */
    public static final int ROW_MAJOR = 101, COL_MAJOR = 102;
    /** enum CBLAS_TRANSPOSE */
    public static final int NO_TRANS = 111, TRANS = 112, CONJ_TRANS = 113;

    /** One bound CBLAS function and the signature we call it with. */
    public record Binding(String name, FunctionDescriptor descriptor) {}

    private static final ValueLayout.OfInt ENUM = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfInt BLASINT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final MemoryLayout PTR = ValueLayout.ADDRESS;

    private static final List<Binding> BINDINGS = List.of(
            new Binding("cblas_sgemm", FunctionDescriptor.ofVoid(ENUM, ENUM, ENUM, BLASINT, BLASINT, BLASINT, FLOAT, PTR, BLASINT, PTR, BLASINT, FLOAT, PTR, BLASINT)),
            new Binding("cblas_sgemv", FunctionDescriptor.ofVoid(ENUM, ENUM, BLASINT, BLASINT, FLOAT, PTR, BLASINT, PTR, BLASINT, FLOAT, PTR, BLASINT)),
            new Binding("cblas_saxpy", FunctionDescriptor.ofVoid(BLASINT, FLOAT, PTR, BLASINT, PTR, BLASINT)),
            new Binding("cblas_sscal", FunctionDescriptor.ofVoid(BLASINT, FLOAT, PTR, BLASINT)),
            new Binding("cblas_sdot", FunctionDescriptor.of(FLOAT, BLASINT, PTR, BLASINT, PTR, BLASINT)));

    private static final String LIBRARY;
    private static final String FAILURE;
    private static final MethodHandle SGEMM, SGEMV, SAXPY, SSCAL, SDOT;

    static {
        String library = null;
        String failure = null;
        MethodHandle[] handles = new MethodHandle[BINDINGS.size()];
        List<String> tried = new ArrayList<>();
        for (String candidate : candidates()) {
            SymbolLookup lookup;
            try {
                lookup = SymbolLookup.libraryLookup(candidate, Arena.global());
            } catch (IllegalArgumentException notLoadable) {
                tried.add(candidate + " (not found)");
                continue;
            }
            List<String> missing = BINDINGS.stream().map(Binding::name).filter(n -> lookup.find(n).isEmpty()).toList();
            if (!missing.isEmpty()) {
                tried.add(candidate + " (lacks " + String.join(", ", missing) + ")");
                continue;
            }
            Linker linker = Linker.nativeLinker();
            for (int i = 0; i < handles.length; i++) {
                Binding b = BINDINGS.get(i);
                handles[i] = linker.downcallHandle(lookup.find(b.name()).orElseThrow(), b.descriptor());
            }
            library = candidate;
            break;
        }
        if (library == null) failure = "no CBLAS library found (tried " + String.join(", ", tried) + "); " + installHint();
        LIBRARY = library;
        FAILURE = failure;
        SGEMM = handles[0];
        SGEMV = handles[1];
        SAXPY = handles[2];
        SSCAL = handles[3];
        SDOT = handles[4];
    }

    private Cblas() {}

    private static List<String> candidates() {
        String explicit = System.getProperty("mmgp.cblas.library");
        if (explicit != null && !explicit.isBlank()) return List.of(explicit);
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        if (os.contains("mac")) {
            // Lives in the dyld shared cache, not on disk: load by name, not as a Path.
            return List.of("/System/Library/Frameworks/Accelerate.framework/Accelerate");
        }
        // OpenBLAS (Debian/Ubuntu, Fedora's pthread build), then the distribution's BLAS
        // alternative, which on Debian also exports the CBLAS symbols.
        return List.of("libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0", "libblas.so.3", "libcblas.so.3");
    }

    private static String installHint() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        if (os.contains("mac")) return "Accelerate ships with macOS; check that the framework is present";
        return "install OpenBLAS (Debian/Ubuntu: apt-get install libopenblas0; Fedora: dnf install openblas) "
                + "or set -Dmmgp.cblas.library to a CBLAS library";
    }

    /** True when a CBLAS library is loaded; never throws. */
    public static boolean available() {
        return LIBRARY != null;
    }

    /** Why CBLAS is unavailable, or null when it is available. */
    public static String unavailableReason() {
        return FAILURE;
    }

    /** The library the routines come from, or null when unavailable. */
    public static String libraryName() {
        return LIBRARY;
    }

    /** Every bound function with its FFM signature, for signature checks against cblas.h. */
    public static List<Binding> bindings() {
        return BINDINGS;
    }

    private static NativeLibraryException unavailable() {
        return new NativeLibraryException("CBLAS is not available: " + FAILURE);
    }

    /** C = alpha * op(A) * op(B) + beta * C, with op(A) m x k, op(B) k x n, C m x n. */
    public static void sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, MemorySegment a, int lda,
                             MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        if (SGEMM == null) throw unavailable();
        try {
            SGEMM.invokeExact(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    /** y = alpha * op(A) * x + beta * y, with A m x n. */
    public static void sgemv(int order, int trans, int m, int n, float alpha, MemorySegment a, int lda, MemorySegment x, int incX,
                             float beta, MemorySegment y, int incY) {
        if (SGEMV == null) throw unavailable();
        try {
            SGEMV.invokeExact(order, trans, m, n, alpha, a, lda, x, incX, beta, y, incY);
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    /** y = alpha * x + y over n elements. */
    public static void saxpy(int n, float alpha, MemorySegment x, int incX, MemorySegment y, int incY) {
        if (SAXPY == null) throw unavailable();
        try {
            SAXPY.invokeExact(n, alpha, x, incX, y, incY);
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    /** x = alpha * x over n elements. */
    public static void sscal(int n, float alpha, MemorySegment x, int incX) {
        if (SSCAL == null) throw unavailable();
        try {
            SSCAL.invokeExact(n, alpha, x, incX);
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    /** The dot product of n elements of x and y. */
    public static float sdot(int n, MemorySegment x, int incX, MemorySegment y, int incY) {
        if (SDOT == null) throw unavailable();
        try {
            return (float) SDOT.invokeExact(n, x, incX, y, incY);
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }
}
