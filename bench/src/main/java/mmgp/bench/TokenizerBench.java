package mmgp.bench;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import mmgp.models.amused.ClipTokenizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** CLIP BPE encoding of a prompt longer than 77 tokens (word cache warm). Pass a tokenizer folder with -p folder=... */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
public class TokenizerBench {
    @Param({"models/src/test/resources/fixtures/amused/checkpoint/tokenizer"})
    public String folder;

    private ClipTokenizer tokenizer;
    private final String prompt = ("a photo of a cat on a chair, painting of a starry village under the sunset, "
            + "wooden table with a white plate and fruit, small robot reading next to the window. ").repeat(2);

    @Setup
    public void setUp() throws Exception {
        tokenizer = ClipTokenizer.load(Path.of(folder));
    }

    @Benchmark
    public ClipTokenizer.Encoding encode77() {
        return tokenizer.encode(prompt, 77);
    }
}
