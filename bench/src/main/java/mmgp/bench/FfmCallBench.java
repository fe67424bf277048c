package mmgp.bench;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.ggml.Ggml;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of crossing into ggml through the FFM bindings: a call without arguments, one reading a
 * tensor through a pointer, and building a small node (what graph construction pays per op), with a
 * plain Java call as the floor. Graph builds make hundreds of such calls per model step, so this
 * says whether they matter next to the compute.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
public class FfmCallBench {
    private static final int GGML_TYPE_F32 = 0;
    private MemorySegment ctx;
    private MemorySegment tensor;
    private long javaValue = 368;

    @Setup(Level.Trial)
    public void setUp() {
        NativeLibraries.get();
        ctx = Ggml.init(64L << 20, true);
        tensor = Ggml.newTensor2d(ctx, GGML_TYPE_F32, 4096, 4096);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Ggml.free(ctx);
    }

    @Benchmark
    public long javaCallBaseline() {
        return javaValue();
    }

    private long javaValue() {
        return javaValue;
    }

    @Benchmark
    public long noArgumentDowncall() {
        return Ggml.tensorOverhead();
    }

    @Benchmark
    public long pointerArgumentDowncall() {
        return Ggml.nbytes(tensor);
    }

    /** A new tensor descriptor in a no-alloc context, reset each time so the context never fills. */
    @Benchmark
    public MemorySegment newTensorDowncall() {
        if (Ggml.usedMem(ctx) > (60L << 20)) {
            Ggml.free(ctx);
            ctx = Ggml.init(64L << 20, true);
            tensor = Ggml.newTensor2d(ctx, GGML_TYPE_F32, 4096, 4096);
        }
        return Ggml.newTensor1d(ctx, GGML_TYPE_F32, 1024);
    }
}
