package mmgp.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import mmgp.gguf.ByteMutator;
import mmgp.testing.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * Feeds thousands of mutated safetensors files to the reader: binary mutations of the length field and
 * header, plus JSON-aware ones (huge or negative numbers, broken punctuation, deep nesting). Each must
 * parse with every tensor readable or fail with a SafetensorsFormatException; nothing else may escape.
 */
class SafetensorsFuzzTest {

    private static final long SEED = 0x7361_6665L;
    private static final int BINARY_MUTANTS_PER_BASE = 8_000;
    private static final int JSON_MUTANTS_PER_BASE = 8_000;
    private static final String[] NUMBERS = {
        "0", "-1", "1e400", "1.5", "99999999999999999999999", "9223372036854775807", "9223372036854775808",
        "4294967296", "-0", "18446744073709551615", "2147483647", "null", "\"7\"", "[]", "{}"
    };
    private static final String[] PUNCTUATION = {"{", "}", "[", "]", "\"", ",", ":", "\\", "\u0000", " ", "\u00e9"};

    private final List<String> failures = new ArrayList<>();
    private int parsed;
    private int rejected;

    private static byte[] builtBase() {
        return new SafetensorsBuilder()
                .metadata("format", "pt")
                .addFloats("a", new long[] {2, 2}, 1, 2, 3, 4)
                .add("b", "F16", new long[] {3}, new byte[] {0, 0x3C, 0, 0x40, 1, 0})
                .add("c", "I64", new long[] {1}, new byte[8])
                .add("d", "BF16", new long[] {}, new byte[] {(byte) 0x80, 0x3F})
                .build();
    }

    @Test
    void mutatedFilesParseOrFailWithAFormatException() throws Exception {
        List<byte[]> bases = List.of(builtBase(), Files.readAllBytes(Fixtures.golden("amused", "tokenizer.safetensors")));
        ByteMutator mutator = new ByteMutator(SEED);
        Random random = new Random(SEED);
        for (int b = 0; b < bases.size(); b++) {
            byte[] base = bases.get(b);
            int headerEnd = 8 + (int) ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN).getLong(0);

            for (int cut = 0; cut <= headerEnd; cut++) {
                check(Arrays.copyOf(base, cut), "base " + b + " truncated to " + cut);
            }
            for (long value : ByteMutator.INTERESTING) {
                byte[] bytes = base.clone();
                ByteMutator.writeLittleEndian(bytes, 0, value, 8);
                check(bytes, "base " + b + " header length " + value);
            }
            for (int i = 0; i < BINARY_MUTANTS_PER_BASE; i++) {
                check(mutator.mutate(base, headerEnd), "base " + b + " binary mutant " + i);
            }
            String json = new String(base, 8, headerEnd - 8, StandardCharsets.UTF_8);
            byte[] data = Arrays.copyOfRange(base, headerEnd, base.length);
            for (int i = 0; i < JSON_MUTANTS_PER_BASE; i++) {
                String mutated = mutateJson(json, random);
                check(SafetensorsBuilder.assemble(mutated, data), "base " + b + " json mutant " + i + ": " + mutated);
            }
        }
        assertThat(failures).as("unexpected throwables (%d parsed, %d rejected)", parsed, rejected).isEmpty();
        assertThat(rejected).isGreaterThan(1000);
        assertThat(parsed).isGreaterThan(100);
    }

    private static String mutateJson(String json, Random random) {
        StringBuilder s = new StringBuilder(json.stripTrailing());
        int rounds = 1 + random.nextInt(3);
        for (int r = 0; r < rounds && s.length() > 0; r++) {
            int at = random.nextInt(s.length());
            switch (random.nextInt(5)) {
                case 0 -> { // replace a run of digits with a boundary number
                    int start = at;
                    while (start < s.length() && !Character.isDigit(s.charAt(start))) {
                        start++;
                    }
                    int end = start;
                    while (end < s.length() && Character.isDigit(s.charAt(end))) {
                        end++;
                    }
                    s.replace(start, end, NUMBERS[random.nextInt(NUMBERS.length)]);
                }
                case 1 -> s.setCharAt(at, PUNCTUATION[random.nextInt(PUNCTUATION.length)].charAt(0));
                case 2 -> s.deleteCharAt(at);
                case 3 -> { // duplicate a span, which repeats keys and entries
                    int end = Math.min(s.length(), at + 1 + random.nextInt(80));
                    s.insert(at, s.substring(at, end));
                }
                default -> s.insert(at, "[".repeat(1 + random.nextInt(2000)));
            }
        }
        return s.toString();
    }

    private void check(byte[] bytes, String description) {
        try {
            SafetensorsFile file = SafetensorsFile.parse(MemorySegment.ofArray(bytes));
            exercise(file);
            parsed++;
        } catch (SafetensorsFormatException e) {
            rejected++;
        } catch (Throwable t) {
            if (failures.size() < 20) {
                failures.add(description + ": " + t);
            }
        }
    }

    private static void exercise(SafetensorsFile file) {
        file.metadata().forEach((k, v) -> v.length());
        for (SafetensorsTensorInfo t : file.tensors()) {
            MemorySegment data = file.data(t);
            if (data.byteSize() > 0) {
                data.get(ValueLayout.JAVA_BYTE, data.byteSize() - 1);
            }
            if (t.elementCount() > 1 << 16) {
                continue;
            }
            switch (t.dtype()) {
                case F64, F32, F16, BF16 -> file.readFloats(t);
                case I64, I32, I16, I8, U32, U16, U8, BOOL -> file.readLongs(t);
                default -> { }
            }
        }
    }
}
