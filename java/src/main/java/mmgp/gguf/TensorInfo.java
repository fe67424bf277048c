package mmgp.gguf;

import java.util.Arrays;
import java.util.Objects;
import mmgp.tensor.MappedTensor;
import mmgp.tensor.GgmlType;

/**
 * One tensor of a GGUF file as its header describes it.
 *
 * @param name the tensor name (at most 63 UTF-8 bytes, as ggml's GGML_MAX_NAME requires)
 * @param type the element type
 * @param shape the dimensions in ggml order ne0 (fastest varying) .. ne3, as many as the file stores (0..4)
 * @param byteSize bytes of data, {@code type.rowBytes(ne0) * ne1 * ne2 * ne3}
 * @param dataOffset where the data starts, relative to the data section (the value stored in the file)
 * @param fileOffset where the data starts, relative to the start of the file
 */
public record TensorInfo(String name, GgmlType type, long[] shape, long byteSize, long dataOffset, long fileOffset)
        implements MappedTensor {

    public static final int MAX_DIMS = 4;

    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The number of dimensions the file stores (0 for a scalar). */
    public int nDims() {
        return shape.length;
    }

    /** Dimension {@code i} in ggml order; 1 beyond the stored dimensions, as ggml pads. */
    public long ne(int i) {
        return i < shape.length ? shape[i] : 1;
    }

    /** The shape padded with 1s to ggml's four dimensions. */
    public long[] ne() {
        long[] ne = {1, 1, 1, 1};
        System.arraycopy(shape, 0, ne, 0, shape.length);
        return ne;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t
                && name.equals(t.name) && type == t.type && Arrays.equals(shape, t.shape)
                && byteSize == t.byteSize && dataOffset == t.dataOffset && fileOffset == t.fileOffset;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, Arrays.hashCode(shape), byteSize, dataOffset, fileOffset);
    }

    @Override
    public String toString() {
        return name + " " + type + Arrays.toString(shape) + " " + byteSize + " bytes @" + fileOffset;
    }
}
