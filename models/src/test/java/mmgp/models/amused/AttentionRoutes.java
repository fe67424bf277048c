package mmgp.models.amused;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

/** The FAST attention routes ({@code -Dmmgp.attention}) of the model route tests, and their error measure. */
public final class AttentionRoutes {
    /** mmgp's fused op, then ggml's flash attention. */
    public static final List<String> ROUTES = List.of("mmgp", "ggml");

    private AttentionRoutes() {}

    /** A body that may throw, run with the route set. */
    public interface Body {
        void run() throws Exception;
    }

    /** Runs {@code body} with {@code -Dmmgp.attention=route} (read while graphs are built), restoring the previous value. */
    public static void with(String route, Body body) throws Exception {
        String before = System.getProperty("mmgp.attention");
        System.setProperty("mmgp.attention", route);
        try {
            body.run();
        } finally {
            if (before == null) System.clearProperty("mmgp.attention");
            else System.setProperty("mmgp.attention", before);
        }
    }

    /**
     * The other FAST routes (F16 matmuls and convolutions) set the error level of these small
     * fixtures: within 1e-3 of the goldens on both routes, and the fused op no worse than ggml's
     * route by more than a tenth (or 1e-5 where both are at fp32 level).
     */
    public static void assertNoWorse(Map<String, double[]> errors) {
        double[] mmgp = errors.get("mmgp"), ggml = errors.get("ggml");
        for (int i = 0; i < mmgp.length; i++) {
            assertThat(ggml[i]).as("ggml route, output %d", i).isLessThanOrEqualTo(1e-3);
            assertThat(mmgp[i]).as("mmgp route, output %d", i).isLessThanOrEqualTo(Math.max(1.1 * ggml[i], 1e-5));
        }
    }

    /** sqrt(Σ(a − e)² / Σe²). */
    public static double relativeRms(float[] actual, float[] expected) {
        return AmusedQuantizedTest.relativeRms(actual, expected);
    }
}
