package mmgp.bindings.cblas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The CBLAS routines agree with plain-Java loops. */
class CblasTest {
    private static final Random RANDOM = new Random(7);

    @BeforeAll
    static void library() {
        assumeTrue(Cblas.available(), () -> "CBLAS not available: " + Cblas.unavailableReason());
    }

    @Test
    void reportsTheLibraryItLoaded() {
        assertThat(Cblas.libraryName()).isNotBlank();
        assertThat(Cblas.unavailableReason()).isNull();
    }

    @Test
    void sgemmMatchesAJavaMatmulForEveryTransposition() {
        int m = 7, n = 5, k = 9;
        float alpha = 1.5f, beta = -0.5f;
        for (int transA : new int[] {Cblas.NO_TRANS, Cblas.TRANS}) {
            for (int transB : new int[] {Cblas.NO_TRANS, Cblas.TRANS}) {
                // Row-major storage of A (m x k, or k x m when transposed) and B (k x n, or n x k).
                float[] a = random(m * k), b = random(k * n), c = random(m * n);
                float[] expected = new float[m * n];
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double sum = 0;
                        for (int p = 0; p < k; p++) {
                            float aip = transA == Cblas.NO_TRANS ? a[i * k + p] : a[p * m + i];
                            float bpj = transB == Cblas.NO_TRANS ? b[p * n + j] : b[j * k + p];
                            sum += aip * bpj;
                        }
                        expected[i * n + j] = (float) (alpha * sum + beta * c[i * n + j]);
                    }
                }
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment sa = arena.allocateFrom(ValueLayout.JAVA_FLOAT, a);
                    MemorySegment sb = arena.allocateFrom(ValueLayout.JAVA_FLOAT, b);
                    MemorySegment sc = arena.allocateFrom(ValueLayout.JAVA_FLOAT, c);
                    int lda = transA == Cblas.NO_TRANS ? k : m;
                    int ldb = transB == Cblas.NO_TRANS ? n : k;
                    Cblas.sgemm(Cblas.ROW_MAJOR, transA, transB, m, n, k, alpha, sa, lda, sb, ldb, beta, sc, n);
                    assertClose(sc.toArray(ValueLayout.JAVA_FLOAT), expected);
                }
            }
        }
    }

    @Test
    void sgemmHonoursColumnMajor() {
        int m = 3, n = 4, k = 2;
        float[] a = random(m * k), b = random(k * n);
        float[] expected = new float[m * n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) for (int p = 0; p < k; p++) expected[j * m + i] += a[p * m + i] * b[j * k + p];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment c = arena.allocate(ValueLayout.JAVA_FLOAT, m * n);
            Cblas.sgemm(Cblas.COL_MAJOR, Cblas.NO_TRANS, Cblas.NO_TRANS, m, n, k, 1f,
                    arena.allocateFrom(ValueLayout.JAVA_FLOAT, a), m, arena.allocateFrom(ValueLayout.JAVA_FLOAT, b), k, 0f, c, m);
            assertClose(c.toArray(ValueLayout.JAVA_FLOAT), expected);
        }
    }

    @Test
    void sgemvMatchesAJavaMatrixVectorProduct() {
        int m = 6, n = 4;
        float[] a = random(m * n), x = random(n), y = random(m);
        float[] expected = new float[m];
        for (int i = 0; i < m; i++) {
            double sum = 0;
            for (int j = 0; j < n; j++) sum += a[i * n + j] * x[j];
            expected[i] = (float) (2f * sum + 3f * y[i]);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sy = arena.allocateFrom(ValueLayout.JAVA_FLOAT, y);
            Cblas.sgemv(Cblas.ROW_MAJOR, Cblas.NO_TRANS, m, n, 2f, arena.allocateFrom(ValueLayout.JAVA_FLOAT, a), n,
                    arena.allocateFrom(ValueLayout.JAVA_FLOAT, x), 1, 3f, sy, 1);
            assertClose(sy.toArray(ValueLayout.JAVA_FLOAT), expected);
        }
    }

    @Test
    void saxpySscalAndSdotMatchJavaLoops() {
        int n = 33;
        float[] x = random(n), y = random(n);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sx = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x);
            MemorySegment sy = arena.allocateFrom(ValueLayout.JAVA_FLOAT, y);

            double dot = 0;
            for (int i = 0; i < n; i++) dot += x[i] * y[i];
            assertThat(Cblas.sdot(n, sx, 1, sy, 1)).isCloseTo((float) dot, within(1e-4f));

            float[] axpy = new float[n];
            for (int i = 0; i < n; i++) axpy[i] = 0.75f * x[i] + y[i];
            Cblas.saxpy(n, 0.75f, sx, 1, sy, 1);
            assertClose(sy.toArray(ValueLayout.JAVA_FLOAT), axpy);

            // Strided: scale every second element only.
            float[] scaled = x.clone();
            for (int i = 0; i < n; i += 2) scaled[i] *= -3f;
            Cblas.sscal((n + 1) / 2, -3f, sx, 2);
            assertClose(sx.toArray(ValueLayout.JAVA_FLOAT), scaled);
        }
    }

    private static float[] random(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) RANDOM.nextGaussian();
        return v;
    }

    private static void assertClose(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) assertThat(actual[i]).as("element " + i).isCloseTo(expected[i], within(1e-4f));
    }
}
