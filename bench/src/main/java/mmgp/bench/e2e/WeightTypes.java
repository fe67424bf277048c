package mmgp.bench.e2e;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import mmgp.gguf.TensorInfo;
import mmgp.graph.Tensor;
import mmgp.tensor.GgmlType;

/**
 * The weight type a model part's matmuls mostly read: the type holding the most elements among its
 * matrices and kernels (tensors of two or more dimensions), gathered tables (embeddings) excluded.
 * A Q8_0 file's VQ and VAE convolution kernels are F16 (their rows do not split into Q8_0 blocks,
 * or the converter keeps them F16), so those stages are judged against the FP32 peak.
 */
final class WeightTypes {
    /** Tables that are gathered by index, not multiplied. */
    private static final Pattern GATHERED = Pattern.compile(".*(token_embedding|position_embedding|embeddings|position_embd|token_embd|shared|embed_tokens)\\.weight$");

    private WeightTypes() {}

    /** The dominant type among {@code tensors} whose names start with {@code prefix}; null when there is none. */
    static String dominant(Map<String, Tensor> tensors, String prefix) {
        Map<String, Long> elements = new TreeMap<>();
        tensors.forEach((name, t) -> {
            if (name.startsWith(prefix) && t.ne(1) > 1 && !GATHERED.matcher(name).matches()) elements.merge(t.type().name(), t.elements(), Long::sum);
        });
        return max(elements);
    }

    /** The same from a GGUF's tensor list (SmolVLM2's files, which mmgp does not open as a WeightSet). */
    static String dominantOf(Iterable<TensorInfo> tensors, String prefix) {
        Map<String, Long> elements = new TreeMap<>();
        for (TensorInfo t : tensors) {
            if (t.name().startsWith(prefix) && t.nDims() >= 2 && !GATHERED.matcher(t.name()).matches()) {
                elements.merge(t.type().name(), t.elementCount(), Long::sum);
            }
        }
        return max(elements);
    }

    static boolean gathered(String name) {
        return GATHERED.matcher(name).matches();
    }

    private static String max(Map<String, Long> elements) {
        return elements.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
    }
}
