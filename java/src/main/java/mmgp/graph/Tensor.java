package mmgp.graph;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import mmgp.bindings.ggml.Ggml;
import mmgp.bindings.ggml.GgmlTensorStruct;
import mmgp.tensor.GgmlType;

/**
 * A ggml tensor seen from Java: a pointer plus the shape ggml recorded. Dimensions are in ggml
 * order, {@code ne(0)} fastest-varying (PyTorch's last dimension).
 */
public record Tensor(MemorySegment ptr) {
    public long ne(int dim) {
        return GgmlTensorStruct.ne(ptr, dim);
    }

    public long nb(int dim) {
        return GgmlTensorStruct.nb(ptr, dim);
    }

    /** The four ggml dimensions, fastest first. */
    public long[] shape() {
        return new long[] {ne(0), ne(1), ne(2), ne(3)};
    }

    public GgmlType type() {
        return GgmlType.byId(GgmlTensorStruct.type(ptr));
    }

    public long elements() {
        return Ggml.nelements(ptr);
    }

    public long bytes() {
        return Ggml.nbytes(ptr);
    }

    public String name() {
        return GgmlTensorStruct.name(ptr);
    }

    /** The tensor's data once allocated on the CPU: a zero-copy view. */
    public MemorySegment data() {
        MemorySegment d = GgmlTensorStruct.data(ptr);
        if (d.equals(MemorySegment.NULL)) throw new IllegalStateException("tensor " + name() + " has no data yet (graph not computed)");
        return d.reinterpret(bytes());
    }

    /**
     * The buffer type name of the buffer this tensor (or the tensor it views) lives in, e.g. "CPU",
     * "CPU_Mapped", "AMX"; null while it is not allocated.
     */
    public String bufferName() {
        MemorySegment root = ptr;
        for (MemorySegment v = GgmlTensorStruct.viewSrc(root); !v.equals(MemorySegment.NULL); v = GgmlTensorStruct.viewSrc(v)) root = v;
        MemorySegment buffer = GgmlTensorStruct.buffer(root);
        return buffer.equals(MemorySegment.NULL) ? null : mmgp.bindings.ggml.GgmlBackend.bufferName(buffer).reinterpret(64).getString(0);
    }

    /**
     * Whether it lives in one of the CPU's extra buffer types (AMX, CPU_REPACK): their kernels
     * take over every mul_mat with it as the first operand, and they may re-lay its bytes out.
     */
    public boolean inExtraBuffer() {
        String name = bufferName();
        return name != null && !isPlainCpuBuffer(name);
    }

    /** A buffer type whose tensors hold their bytes as their shape and strides say: "CPU" or "CPU_Mapped". */
    public static boolean isPlainCpuBuffer(String bufferTypeName) {
        return bufferTypeName.equals("CPU") || bufferTypeName.equals("CPU_Mapped");
    }

    @Override
    public String toString() {
        return "Tensor[" + name() + " " + type() + " " + Arrays.toString(shape()) + "]";
    }
}
