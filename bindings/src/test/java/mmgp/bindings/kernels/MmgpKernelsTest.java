package mmgp.bindings.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import mmgp.bindings.CHeaderPrototypes;
import mmgp.bindings.NativeLibraryException;
import mmgp.bindings.kernels.MmgpKernels.Kind;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernels' dot products agree with plain Java over lengths around every vector width (0
 * included), their peaks are positive, and their bindings match mmgp_kernels.h. The native
 * build makes the library, so a missing one fails here (-Dmmgp.allowNoNative=true skips).
 */
class MmgpKernelsTest {
    /** 0, tails shorter than any vector, and lengths either side of 4, 8, 16, 32 and 64 elements. */
    static final int[] LENGTHS = {0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 100, 127, 128, 129, 255, 1000, 4099};

    @BeforeAll
    static void library() {
        KernelsLibrary.require();
    }

    @Test
    void everyKindNamesItsInstructionPath() {
        for (Kind kind : Kind.values()) {
            assertThat(MmgpKernels.path(kind)).as(kind.name()).isNotBlank().isNotEqualTo("unknown kind");
        }
        assertThat(MmgpKernels.path(Kind.BF16)).contains("bf16");
    }

    @Test
    void peaksArePositiveAndFiniteForEveryKindThatRunsEverywhere() {
        for (Kind kind : List.of(Kind.FP32, Kind.BF16, Kind.INT8)) {
            assertThat(MmgpKernels.isRunnable(kind)).as(kind.name()).isTrue();
            double peak = MmgpKernels.peakGflops(kind, 1, 0.05);
            assertThat(peak).as("%s peak at 1 thread (%s)", kind, MmgpKernels.path(kind)).isPositive().isFinite();
        }
        assertThat(MmgpKernels.peakGflops(Kind.FP32, 2, 0.05)).isPositive().isFinite();
    }

    @Test
    void amxKindsArePositiveOrSayWhyNot() {
        for (Kind kind : List.of(Kind.AMX_BF16, Kind.AMX_INT8)) {
            String path = MmgpKernels.path(kind);
            for (int threads : new int[] {1, 2}) {
                double peak = MmgpKernels.peakGflops(kind, threads, 0.05);
                if (MmgpKernels.isRunnable(kind)) assertThat(peak).as("%s at %d threads (%s)", kind, threads, path).isPositive().isFinite();
                else assertThat(peak).as("%s (%s)", kind, path).isNaN();
            }
            if (!MmgpKernels.isRunnable(kind)) assertThat(path).startsWith("unavailable: ");
        }
    }

    @Test
    void amxBf16RunsOnALinuxCpuThatListsIt() {
        runsWhereLinuxListsIt(Kind.AMX_BF16, "amx_bf16", "tdpbf16ps");
    }

    @Test
    void amxInt8RunsOnALinuxCpuThatListsIt() {
        runsWhereLinuxListsIt(Kind.AMX_INT8, "amx_int8", "tdpbusd");
    }

    /**
     * Linux lists the AMX flags only when it supports the tile state, so where it lists the kind's
     * and the kernels were compiled with it (-march=native with a compiler that targets AMX) the kind
     * must run: tile permission granted, config loaded.
     */
    private static void runsWhereLinuxListsIt(Kind kind, String flag, String instruction) {
        var features = MmgpKernels.cpuFeatures();
        assumeTrue(MmgpKernels.osName().equals("linux") && features.contains("amx_tile") && features.contains(flag), "/proc/cpuinfo lists no " + flag);
        String path = MmgpKernels.path(kind);
        assumeFalse(path.contains("not compiled"), path);
        assertThat(path).as("%s on a CPU listing %s, path: %s", kind, flag, path).contains(instruction);
    }

    @Test
    void amxPeaksExceedTheVectorOnesOfTheirDataType() {
        assumeTrue(MmgpKernels.isRunnable(Kind.AMX_INT8), "no AMX here: " + MmgpKernels.path(Kind.AMX_INT8));
        // A tile product does 16x16x64 multiply-adds; even under load it outruns 512-bit vpdpbusd.
        assertThat(MmgpKernels.peakGflops(Kind.AMX_INT8, 1, 0.1)).isGreaterThan(MmgpKernels.peakGflops(Kind.INT8, 1, 0.1));
    }

    @Test
    void peakArgumentsAreChecked() {
        assertThatThrownBy(() -> MmgpKernels.peakGflops(Kind.FP32, -1, 0.1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MmgpKernels.peakGflops(Kind.FP32, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- FP32 ----

    @Test
    void f32DotIsExactOnValuesWhoseSumsAreExact() {
        SplittableRandom r = new SplittableRandom(1);
        for (int n : LENGTHS) {
            // Multiples of 1/8 within +-4: every product and partial sum is exact in float.
            float[] a = new float[n], b = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = r.nextInt(-32, 33) / 8f;
                b[i] = r.nextInt(-32, 33) / 8f;
            }
            double expected = referenceDot(a, b);
            assertThat((double) MmgpKernels.dotF32(a, b)).as("n=%d", n).isEqualTo(expected);
            assertThat((double) MmgpKernels.dotF32Scalar(a, b)).as("scalar n=%d", n).isEqualTo(expected);
        }
    }

    @Test
    void f32DotMatchesJavaOnRandomValues() {
        SplittableRandom r = new SplittableRandom(2);
        for (int n : LENGTHS) {
            float[] a = randomFloats(r, n), b = randomFloats(r, n);
            assertClose(MmgpKernels.dotF32(a, b), a, b, "n=" + n);
            assertClose(MmgpKernels.dotF32Scalar(a, b), a, b, "scalar n=" + n);
        }
    }

    @Test
    void f32DotReadsNativeSegments() {
        SplittableRandom r = new SplittableRandom(3);
        float[] a = randomFloats(r, 77), b = randomFloats(r, 77);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocateFrom(ValueLayout.JAVA_FLOAT, a);
            MemorySegment sb = arena.allocateFrom(ValueLayout.JAVA_FLOAT, b);
            assertThat(MmgpKernels.dotF32(sa, sb, 77)).isEqualTo(MmgpKernels.dotF32(a, b));
            // A prefix: the length is n, not the segment's size.
            float[] a10 = java.util.Arrays.copyOf(a, 10), b10 = java.util.Arrays.copyOf(b, 10);
            assertThat(MmgpKernels.dotF32(sa, sb, 10)).isEqualTo(MmgpKernels.dotF32(a10, b10));
            assertThatThrownBy(() -> MmgpKernels.dotF32(sa, sb, 78)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> MmgpKernels.dotF32(sa, sb, -1)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> MmgpKernels.dotF32(new float[3], new float[4])).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- BF16 ----

    @Test
    void bf16DotIsExactOnValuesWhoseSumsAreExact() {
        SplittableRandom r = new SplittableRandom(4);
        for (int n : LENGTHS) {
            short[] a = new short[n], b = new short[n];
            for (int i = 0; i < n; i++) {
                a[i] = bf16(r.nextInt(-32, 33) / 8f);
                b[i] = bf16(r.nextInt(-32, 33) / 8f);
            }
            double expected = referenceDot(a, b);
            assertThat((double) MmgpKernels.dotBf16(a, b)).as("n=%d (%s)", n, MmgpKernels.path(Kind.BF16)).isEqualTo(expected);
            assertThat((double) MmgpKernels.dotBf16Scalar(a, b)).as("scalar n=%d", n).isEqualTo(expected);
        }
    }

    @Test
    void bf16DotMatchesJavaOnRandomValues() {
        SplittableRandom r = new SplittableRandom(5);
        for (int n : LENGTHS) {
            // Normal values only: hardware bf16 dot instructions treat denormal inputs as zero.
            float[] fa = randomFloats(r, n), fb = randomFloats(r, n);
            short[] a = new short[n], b = new short[n];
            for (int i = 0; i < n; i++) {
                a[i] = bf16(fa[i]);
                b[i] = bf16(fb[i]);
            }
            float[] wa = widen(a), wb = widen(b);
            assertClose(MmgpKernels.dotBf16(a, b), wa, wb, "n=" + n + " (" + MmgpKernels.path(Kind.BF16) + ")");
            assertClose(MmgpKernels.dotBf16Scalar(a, b), wa, wb, "scalar n=" + n);
        }
    }

    @Test
    void bf16DotReadsNativeSegments() {
        short[] a = new short[40], b = new short[40];
        for (int i = 0; i < 40; i++) {
            a[i] = bf16(i / 4f);
            b[i] = bf16(1 - i / 8f);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocateFrom(ValueLayout.JAVA_SHORT, a);
            MemorySegment sb = arena.allocateFrom(ValueLayout.JAVA_SHORT, b);
            assertThat((double) MmgpKernels.dotBf16(sa, sb, 40)).isEqualTo(referenceDot(a, b));
            assertThatThrownBy(() -> MmgpKernels.dotBf16(sa, sb, 41)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    // ---- INT8 ----

    @Test
    void u8s8DotIsExactForUnsignedValuesUpTo127() {
        SplittableRandom r = new SplittableRandom(6);
        for (int n : LENGTHS) {
            byte[] a = new byte[n], b = new byte[n];
            for (int i = 0; i < n; i++) {
                a[i] = (byte) r.nextInt(0, 128);
                b[i] = (byte) r.nextInt(-128, 128);
            }
            int expected = referenceDot(a, b);
            assertThat(MmgpKernels.dotU8s8(a, b)).as("n=%d (%s)", n, MmgpKernels.path(Kind.INT8)).isEqualTo(expected);
            assertThat(MmgpKernels.dotU8s8Scalar(a, b)).as("scalar n=%d", n).isEqualTo(expected);
        }
    }

    @Test
    void u8s8DotIsExactOnTheFullUnsignedRangeWhereThePathAllowsIt() {
        String path = MmgpKernels.path(Kind.INT8);
        // sdot multiplies s8 x s8: only a <= 127 is exact there (see mmgp_kernels.h).
        assumeTrue(!path.startsWith("neon sdot"), "the " + path + " path is exact only for a <= 127");
        boolean saturatingPairs = path.contains("vpmaddubsw");
        SplittableRandom r = new SplittableRandom(7);
        for (int n : LENGTHS) {
            byte[] a = new byte[n], b = new byte[n];
            for (int i = 0; i < n; i++) {
                a[i] = (byte) r.nextInt(0, 256);
                // vpmaddubsw clamps a pair sum at int16: exact for any u8 when |b| <= 64.
                b[i] = (byte) (saturatingPairs ? r.nextInt(-64, 65) : r.nextInt(-128, 128));
            }
            int expected = referenceDot(a, b);
            assertThat(MmgpKernels.dotU8s8(a, b)).as("n=%d (%s)", n, path).isEqualTo(expected);
            assertThat(MmgpKernels.dotU8s8Scalar(a, b)).as("scalar n=%d", n).isEqualTo(expected);
        }
        // Extremes: 255 * 127 and 255 * -128 are exact on the scalar path and on non-saturating ones.
        byte[] a = new byte[100], b = new byte[100];
        for (int i = 0; i < 100; i++) {
            a[i] = (byte) 255;
            b[i] = (byte) (i % 2 == 0 ? 127 : -128);
        }
        assertThat(MmgpKernels.dotU8s8Scalar(a, b)).isEqualTo(referenceDot(a, b));
        if (!saturatingPairs) assertThat(MmgpKernels.dotU8s8(a, b)).isEqualTo(referenceDot(a, b));
    }

    @Test
    void u8s8DotReadsNativeSegments() {
        byte[] a = new byte[70], b = new byte[70];
        for (int i = 0; i < 70; i++) {
            a[i] = (byte) (i + 50);
            b[i] = (byte) (i - 35);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocateFrom(ValueLayout.JAVA_BYTE, a);
            MemorySegment sb = arena.allocateFrom(ValueLayout.JAVA_BYTE, b);
            assertThat(MmgpKernels.dotU8s8(sa, sb, 70)).isEqualTo(referenceDot(a, b));
            assertThatThrownBy(() -> MmgpKernels.dotU8s8(sa, sb, 71)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    // ---- the build ----

    /** Every binding names a function of mmgp_kernels.h with the same C signature, and every function there is bound. */
    @Test
    void bindingsMatchTheHeaderOfTheLoadedBuild(@TempDir Path tmp) throws Exception {
        Path header = MmgpKernels.directory().resolve("include").resolve("mmgp_kernels.h");
        assertThat(header).isRegularFile();
        // CHeaderPrototypes knows the pinned libraries' export macros; ours is spelled differently.
        Path copy = tmp.resolve("mmgp_kernels.h");
        Files.writeString(copy, Files.readString(header).replace("MMGP_KERNELS_API", "GGML_API"));
        Map<String, CHeaderPrototypes.Prototype> prototypes = CHeaderPrototypes.parse(List.of(copy));
        List<String> problems = new ArrayList<>();
        for (MmgpKernels.Binding b : MmgpKernels.bindings()) problems.addAll(CHeaderPrototypes.mismatches(b.name(), b.descriptor(), prototypes, header));
        assertThat(problems).isEmpty();
        assertThat(new TreeSet<>(prototypes.keySet()))
                .isEqualTo(new TreeSet<>(MmgpKernels.bindings().stream().map(MmgpKernels.Binding::name).toList()));
    }

    @Test
    void theLoadedBuildIsForThisCpu() {
        Map<String, String> info = MmgpKernels.buildInfo();
        assertThat(info).containsEntry("os", MmgpKernels.osName()).containsEntry("arch", MmgpKernels.archName())
                .containsKey("sha256:lib/" + MmgpKernels.fileName());
        assertThat(new TreeSet<>(List.of(info.get("features").trim().split("\\s+"))).stream().filter(s -> !s.isEmpty()).toList())
                .containsExactlyElementsOf(MmgpKernels.cpuFeatures());
    }

    @Test
    void aKernelsDirectoryWithoutBuildInfoIsNamed(@TempDir Path tmp) {
        String old = System.getProperty("mmgp.kernels.dir");
        System.setProperty("mmgp.kernels.dir", tmp.toString());
        try {
            assertThatThrownBy(KernelsFolder::locate).isInstanceOf(NativeLibraryException.class)
                    .hasMessageContaining(tmp.toString()).hasMessageContaining("build-native.sh");
        } finally {
            if (old == null) System.clearProperty("mmgp.kernels.dir");
            else System.setProperty("mmgp.kernels.dir", old);
        }
    }

    // ---- references ----

    static float[] randomFloats(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            float m = (float) r.nextDouble(1e-3, 2.0);
            v[i] = r.nextBoolean() ? m : -m;
        }
        return v;
    }

    /** The bf16 nearest to {@code f} (round to nearest even), as its 16 bits. */
    static short bf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    static float[] widen(short[] h) {
        float[] f = new float[h.length];
        for (int i = 0; i < h.length; i++) f[i] = Float.intBitsToFloat((h[i] & 0xFFFF) << 16);
        return f;
    }

    static double referenceDot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    static double referenceDot(short[] a, short[] b) {
        return referenceDot(widen(a), widen(b));
    }

    static int referenceDot(byte[] a, byte[] b) {
        int s = 0;
        for (int i = 0; i < a.length; i++) s += (a[i] & 0xFF) * b[i];
        return s;
    }

    /**
     * FP32 accumulation in any order: within 1e-5 of the sum of |a[i]*b[i]|, well above the
     * rounding of a few thousand adds of similar magnitude (the exact-sum tests above catch a
     * wrong or dropped element that this tolerance might hide).
     */
    static void assertClose(float actual, float[] a, float[] b, String what) {
        double abs = 0;
        for (int i = 0; i < a.length; i++) abs += Math.abs((double) a[i] * b[i]);
        assertThat((double) actual).as(what).isCloseTo(referenceDot(a, b), within(1e-5 * abs + 1e-6));
    }
}
