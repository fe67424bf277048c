package mmgp.schedule;

import static mmgp.tensor.FloatLanes.F32;
import static mmgp.tensor.FloatLanes.ORDER;
import static mmgp.tensor.FloatLanes.SPECIES;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * {@code out = y + a * x} over {@code n} floats, the update at the heart of Euler-type steps. The product is
 * rounded before the sum (no fused multiply-add), as torch evaluates {@code y + a * x}, so the vector and
 * scalar paths agree exactly. {@code out} may be {@code y} (in place) or {@code x}.
 */
public final class Axpy {

    private Axpy() {
    }

    /** Vector API path. */
    public static void apply(float a, MemorySegment x, MemorySegment y, MemorySegment out, long n) {
        long lanes = SPECIES.length();
        long upper = n - n % lanes;
        for (long i = 0; i < upper; i += lanes) {
            FloatVector xv = FloatVector.fromMemorySegment(SPECIES, x, 4L * i, ORDER);
            FloatVector.fromMemorySegment(SPECIES, y, 4L * i, ORDER).add(xv.mul(a))
                    .intoMemorySegment(out, 4L * i, ORDER);
        }
        for (long i = upper; i < n; i++) {
            out.setAtIndex(F32, i, y.getAtIndex(F32, i) + a * x.getAtIndex(F32, i));
        }
    }

    /** Scalar reference path. */
    public static void applyScalar(float a, MemorySegment x, MemorySegment y, MemorySegment out, long n) {
        for (long i = 0; i < n; i++) {
            out.setAtIndex(F32, i, y.getAtIndex(F32, i) + a * x.getAtIndex(F32, i));
        }
    }

    /** In place: {@code y += a * x}. */
    public static void apply(float a, float[] x, float[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("x has " + x.length + " values, y " + y.length);
        }
        MemorySegment ys = MemorySegment.ofArray(y);
        apply(a, MemorySegment.ofArray(x), ys, ys, y.length);
    }
}
