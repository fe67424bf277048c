package mmgp.safetensors;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes small safetensors files for tests, laying tensors out back to back as the reference writer does. */
public final class SafetensorsBuilder {

    private record Entry(String name, String dtype, long[] shape, byte[] data) {
    }

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final List<Entry> entries = new ArrayList<>();

    public SafetensorsBuilder metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public SafetensorsBuilder add(String name, String dtype, long[] shape, byte[] data) {
        entries.add(new Entry(name, dtype, shape, data));
        return this;
    }

    public SafetensorsBuilder addFloats(String name, long[] shape, float... values) {
        ByteBuffer bytes = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            bytes.putFloat(v);
        }
        return add(name, "F32", shape, bytes.array());
    }

    public String headerJson() {
        StringBuilder json = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            json.append("\"__metadata__\":{");
            metadata.forEach((k, v) -> json.append('"').append(k).append("\":\"").append(v).append("\","));
            json.setLength(json.length() - 1);
            json.append("},");
        }
        long offset = 0;
        for (Entry e : entries) {
            json.append('"').append(e.name).append("\":{\"dtype\":\"").append(e.dtype).append("\",\"shape\":[");
            for (int i = 0; i < e.shape.length; i++) {
                json.append(i == 0 ? "" : ",").append(e.shape[i]);
            }
            json.append("],\"data_offsets\":[").append(offset).append(',').append(offset + e.data.length).append("]},");
            offset += e.data.length;
        }
        if (json.length() > 1) {
            json.setLength(json.length() - 1);
        }
        return json.append('}').toString();
    }

    public byte[] build() {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        entries.forEach(e -> data.writeBytes(e.data));
        return assemble(headerJson(), data.toByteArray());
    }

    public Path write(Path path) throws IOException {
        return Files.write(path, build());
    }

    /** A file from a literal header: the JSON is space-padded to a multiple of 8, as the reference writer does. */
    public static byte[] assemble(String headerJson, byte[] data) {
        byte[] json = headerJson.getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(json);
        while (out.position() < 8 + padded) {
            out.put((byte) ' ');
        }
        return out.put(data).array();
    }
}
