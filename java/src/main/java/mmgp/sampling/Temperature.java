package mmgp.sampling;

import static mmgp.tensor.FloatLanes.F32;
import static mmgp.tensor.FloatLanes.ORDER;
import static mmgp.tensor.FloatLanes.SPECIES;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * Temperature scaling of logits in place, {@code x / temperature}, as HF's TemperatureLogitsWarper. It
 * divides rather than multiplying by the reciprocal, so results match torch bit for bit, and the vector
 * and scalar paths agree exactly.
 */
public final class Temperature {

    private Temperature() {
    }

    /** Vector API path. */
    public static void apply(MemorySegment logits, int n, float temperature) {
        requirePositive(temperature);
        int lanes = SPECIES.length();
        int upper = SPECIES.loopBound(n);
        for (int i = 0; i < upper; i += lanes) {
            FloatVector.fromMemorySegment(SPECIES, logits, 4L * i, ORDER).div(temperature)
                    .intoMemorySegment(logits, 4L * i, ORDER);
        }
        for (int i = upper; i < n; i++) {
            logits.setAtIndex(F32, i, logits.getAtIndex(F32, i) / temperature);
        }
    }

    /** Scalar reference path. */
    public static void applyScalar(MemorySegment logits, int n, float temperature) {
        requirePositive(temperature);
        for (int i = 0; i < n; i++) {
            logits.setAtIndex(F32, i, logits.getAtIndex(F32, i) / temperature);
        }
    }

    public static void apply(float[] logits, float temperature) {
        apply(MemorySegment.ofArray(logits), logits.length, temperature);
    }

    private static void requirePositive(float temperature) {
        if (!(temperature > 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be positive and finite: " + temperature);
        }
    }
}
