package mmgp.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import mmgp.tensor.Dequantizer;
import org.junit.jupiter.api.Test;

/**
 * Feeds thousands of mutated GGUF files to the reader. Each must either parse, with every tensor slice
 * readable, or fail with a GgufFormatException; anything else (OutOfMemoryError, IndexOutOfBounds,
 * NegativeArraySize, Arithmetic, StackOverflow...) is a hardening bug and fails the test.
 */
class GgufFuzzTest {

    private static final long SEED = 0x6775_6666L;
    private static final int RANDOM_MUTANTS_PER_BASE = 15_000;

    private final List<String> failures = new ArrayList<>();
    private int parsed;
    private int rejected;

    @Test
    void mutatedFilesParseOrFailWithAFormatException() {
        List<byte[]> bases = List.of(GgufTestFiles.smallModel(), GgufTestFiles.ggufPyFixture());
        ByteMutator mutator = new ByteMutator(SEED);
        for (int b = 0; b < bases.size(); b++) {
            byte[] base = bases.get(b);
            int headerEnd = (int) headerEnd(base);

            for (int cut = 0; cut <= headerEnd; cut++) {
                check(Arrays.copyOf(base, cut), "base " + b + " truncated to " + cut);
            }
            for (int position = 0; position < headerEnd; position++) {
                for (long value : ByteMutator.INTERESTING) {
                    byte[] bytes = base.clone();
                    ByteMutator.writeLittleEndian(bytes, position, value, 8);
                    check(bytes, "base " + b + " u64 " + value + " at " + position);
                }
            }
            for (int i = 0; i < RANDOM_MUTANTS_PER_BASE; i++) {
                check(mutator.mutate(base, headerEnd), "base " + b + " random mutant " + i);
            }
        }
        assertThat(failures).as("unexpected throwables (%d parsed, %d rejected)", parsed, rejected).isEmpty();
        assertThat(rejected).isGreaterThan(1000);
        assertThat(parsed).isGreaterThan(100);
    }

    private static long headerEnd(byte[] base) {
        try {
            return GgufFile.parse(MemorySegment.ofArray(base)).dataStart();
        } catch (GgufFormatException e) {
            throw new AssertionError("base file must be valid", e);
        }
    }

    private void check(byte[] bytes, String description) {
        try {
            GgufFile file = GgufFile.parse(MemorySegment.ofArray(bytes));
            exercise(file);
            parsed++;
        } catch (GgufFormatException e) {
            rejected++;
        } catch (Throwable t) {
            if (failures.size() < 20) {
                failures.add(description + ": " + t);
            }
        }
    }

    /** Touches everything a caller could reach after a successful parse. */
    private static void exercise(GgufFile file) throws GgufFormatException {
        file.metadata().asMap().forEach((key, value) -> value.toString());
        for (TensorInfo t : file.tensors()) {
            MemorySegment data = file.data(t);
            if (data.byteSize() > 0) {
                data.get(ValueLayout.JAVA_BYTE, 0);
                data.get(ValueLayout.JAVA_BYTE, data.byteSize() - 1);
            }
            if (Dequantizer.supports(t.type()) && t.elementCount() <= 1 << 16) {
                file.readFloats(t.name());
            }
        }
    }
}
