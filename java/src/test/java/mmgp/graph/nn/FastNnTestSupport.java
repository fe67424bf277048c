package mmgp.graph.nn;

import mmgp.graph.ComputeBackend;
import mmgp.graph.Numerics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** For the tests of mmgp's FAST-route ops: FAST backends of 2 threads ({@link #fast}) and 1 thread ({@link #fast1}), to compare their bits. */
abstract class FastNnTestSupport extends NnTestSupport {
    static ComputeBackend fast, fast1;

    @BeforeAll
    static void openFastBackends() {
        fast = ComputeBackend.cpu(2, Numerics.FAST);
        fast1 = ComputeBackend.cpu(1, Numerics.FAST);
    }

    @AfterAll
    static void closeFastBackends() {
        if (fast != null) fast.close();
        if (fast1 != null) fast1.close();
        fast = fast1 = null;
    }
}
