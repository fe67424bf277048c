package mmgp.schedule;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Minimal reader for the golden fixtures, test-only on purpose (the engine's own safetensors reader is
 * tested elsewhere): 8-byte little-endian header length, JSON header, raw little-endian tensor data.
 * Supports the two dtypes the goldens use, F32 and I64.
 */
final class GoldenSafetensors {

    record Tensor(String dtype, long[] shape, ByteBuffer data) {
        long elementCount() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        float[] floats() {
            require("F32");
            float[] out = new float[Math.toIntExact(elementCount())];
            data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }

        /** I64 values narrowed to int (token ids). */
        int[] ints() {
            require("I64");
            long[] wide = new long[Math.toIntExact(elementCount())];
            data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(wide);
            int[] out = new int[wide.length];
            for (int i = 0; i < wide.length; i++) {
                out[i] = Math.toIntExact(wide[i]);
            }
            return out;
        }

        private void require(String expected) {
            if (!dtype.equals(expected)) {
                throw new IllegalStateException("tensor is " + dtype + ", not " + expected);
            }
        }
    }

    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    private GoldenSafetensors(byte[] file) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = Math.toIntExact(buffer.getLong(0));
        JsonNode header = new ObjectMapper().readTree(new String(file, 8, headerLength, StandardCharsets.UTF_8));
        int dataStart = 8 + headerLength;
        for (Map.Entry<String, JsonNode> entry : header.properties()) {
            if (entry.getKey().equals("__metadata__")) {
                continue;
            }
            JsonNode info = entry.getValue();
            long[] shape = new long[info.get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = info.get("shape").get(i).asLong();
            }
            int begin = info.get("data_offsets").get(0).asInt();
            int end = info.get("data_offsets").get(1).asInt();
            ByteBuffer data = ByteBuffer.wrap(file, dataStart + begin, end - begin).slice();
            tensors.put(entry.getKey(), new Tensor(info.get("dtype").asText(), shape, data));
        }
    }

    static GoldenSafetensors load(Path file) {
        try {
            return new GoldenSafetensors(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor " + name + "; have " + tensors.keySet());
        }
        return t;
    }
}
