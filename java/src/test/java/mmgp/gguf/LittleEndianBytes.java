package mmgp.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Hand-assembles GGUF bytes field by field, so tests can write exactly the malformed header they need. */
final class LittleEndianBytes {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    LittleEndianBytes u8(int v) {
        out.write(v);
        return this;
    }

    LittleEndianBytes u32(long v) {
        for (int i = 0; i < 4; i++) {
            out.write((int) (v >>> (8 * i)));
        }
        return this;
    }

    LittleEndianBytes u64(long v) {
        for (int i = 0; i < 8; i++) {
            out.write((int) (v >>> (8 * i)));
        }
        return this;
    }

    LittleEndianBytes raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    LittleEndianBytes string(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        return u64(utf8.length).raw(utf8);
    }

    /** "GGUF", version, tensor count, metadata count. */
    LittleEndianBytes header(long version, long tensorCount, long kvCount) {
        return raw("GGUF".getBytes(StandardCharsets.US_ASCII)).u32(version).u64(tensorCount).u64(kvCount);
    }

    /** A metadata pair with a scalar UINT32 value. */
    LittleEndianBytes kvUInt32(String key, long value) {
        return string(key).u32(GgufValueType.UINT32.id()).u32(value);
    }

    /** A tensor info: name, dims, type id, offset. */
    LittleEndianBytes tensorInfo(String name, long[] ne, int typeId, long offset) {
        string(name).u32(ne.length);
        for (long d : ne) {
            u64(d);
        }
        return u32(typeId).u64(offset);
    }

    /** Zero bytes up to the next multiple of {@code alignment}. */
    LittleEndianBytes padTo(int alignment) {
        while (out.size() % alignment != 0) {
            out.write(0);
        }
        return this;
    }

    LittleEndianBytes zeros(int count) {
        for (int i = 0; i < count; i++) {
            out.write(0);
        }
        return this;
    }

    int size() {
        return out.size();
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }
}
