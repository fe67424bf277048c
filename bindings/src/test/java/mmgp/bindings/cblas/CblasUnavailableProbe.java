package mmgp.bindings.cblas;

import java.lang.foreign.MemorySegment;

/** Run in a child JVM by {@link CblasUnavailableTest}: reports what Cblas does without a library. */
public final class CblasUnavailableProbe {
    private CblasUnavailableProbe() {}

    public static void main(String[] args) {
        System.out.println("available=" + Cblas.available());
        System.out.println("reason=" + Cblas.unavailableReason());
        try {
            Cblas.sscal(1, 2f, MemorySegment.NULL, 1);
            System.out.println("call=returned");
        } catch (RuntimeException e) {
            System.out.println("call=" + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }
}
