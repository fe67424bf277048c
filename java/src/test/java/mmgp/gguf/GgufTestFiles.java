package mmgp.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Channels;

/** Small GGUF files shared by the tests, produced in memory. */
final class GgufTestFiles {

    private GgufTestFiles() {
    }

    static byte[] toBytes(GgufWriter writer) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writer.writeTo(Channels.newChannel(out));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A file with metadata of several types and four small tensors, the base for mutation tests. */
    static byte[] smallModel() {
        float[] weights = new float[64];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (i - 32) / 8f;
        }
        byte[] q8 = new byte[2 * 34];
        q8[0] = 0x00;
        q8[1] = 0x38; // d = 0.5
        for (int i = 2; i < q8.length; i++) {
            q8[i] = (byte) (i * 7);
        }
        return toBytes(new GgufWriter()
                .putString("general.architecture", "tiny")
                .putUInt32("tiny.block_count", 2)
                .putFloat32("tiny.eps", 1e-5f)
                .putBool("tiny.causal", true)
                .putStringArray("tokenizer.ggml.tokens", java.util.List.of("<s>", "</s>", "a", "b"))
                .putArray("tiny.nested", GgufArray.ofArrays(java.util.List.of(GgufArray.ofInt32(1, 2), GgufArray.ofStrings("x"))))
                .addTensor("w", mmgp.tensor.GgmlType.F32, new long[] {16, 4}, MemorySegment.ofArray(weights))
                .addTensor("q", mmgp.tensor.GgmlType.Q8_0, new long[] {64}, MemorySegment.ofArray(q8))
                .addTensor("h", mmgp.tensor.GgmlType.F16, new long[] {3}, MemorySegment.ofArray(new short[] {0x3C00, 0x4000, (short) 0xC000}))
                .addTensor("s", mmgp.tensor.GgmlType.I32, new long[] {}, MemorySegment.ofArray(new int[] {42})));
    }

    /** The file llama.cpp's gguf-py wrote (see make_ggufpy_fixture.py next to it). */
    static byte[] ggufPyFixture() {
        try (InputStream in = GgufTestFiles.class.getResourceAsStream("/fixtures/gguf/ggufpy_fixture.gguf")) {
            if (in == null) {
                throw new IllegalStateException("missing test resource fixtures/gguf/ggufpy_fixture.gguf");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
