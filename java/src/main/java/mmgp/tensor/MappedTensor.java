package mmgp.tensor;

/**
 * One tensor of a weight file as the file's header describes it: where its bytes lie in the mapped file.
 * {@link mmgp.gguf.TensorInfo} and {@link mmgp.safetensors.SafetensorsTensorInfo} add their format's own
 * fields (a ggml type and ggml-order shape; a dtype and PyTorch-order shape).
 */
public interface MappedTensor {

    /** The name the file stores the tensor under. */
    String name();

    /** The dimensions in the file's own order (a copy). */
    long[] shape();

    /** Bytes of data. */
    long byteSize();

    /** Where the data starts, relative to the start of the file. */
    long fileOffset();

    default long elementCount() {
        long n = 1;
        for (long d : shape()) {
            n *= d;
        }
        return n;
    }
}
