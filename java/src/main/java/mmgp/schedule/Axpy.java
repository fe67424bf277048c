package mmgp.schedule;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code out = y + a * x} over {@code n} floats, the update at the heart of Euler-type steps. The product is
 * rounded before the sum (no fused multiply-add), as torch evaluates {@code y + a * x}, so the vector and
 * scalar paths agree exactly. {@code out} may be {@code y} (in place) or {@code x}.
 */
public final class Axpy {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

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
