package mmgp.safetensors;

import java.util.Arrays;
import java.util.Objects;
import mmgp.tensor.MappedTensor;

/**
 * One tensor of a safetensors file as its header describes it.
 *
 * @param name the header key
 * @param dtype the element type
 * @param shape dimensions in PyTorch order (slowest varying first), possibly empty for a scalar
 * @param dataBegin start of the data, relative to the data section (data_offsets[0])
 * @param dataEnd end of the data, exclusive, relative to the data section (data_offsets[1])
 * @param fileOffset start of the data relative to the start of the file
 */
public record SafetensorsTensorInfo(String name, SafetensorsDType dtype, long[] shape, long dataBegin, long dataEnd,
                                    long fileOffset) implements MappedTensor {

    public SafetensorsTensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long byteSize() {
        return dataEnd - dataBegin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SafetensorsTensorInfo t
                && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && dataBegin == t.dataBegin && dataEnd == t.dataEnd && fileOffset == t.fileOffset;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), dataBegin, dataEnd, fileOffset);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " [" + dataBegin + ", " + dataEnd + ")";
    }
}
