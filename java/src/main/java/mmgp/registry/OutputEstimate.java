package mmgp.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import mmgp.tensor.GgmlType;

/**
 * How many bytes a conversion writes, estimated before it runs, so a pull refuses to start when
 * the downloads and the converted model together do not fit (the downloads stay on disk while the
 * model is written). A safetensors file already on disk (kept, or partly downloaded: the header
 * comes first) is counted tensor by tensor; one not yet here is assumed to hold 16-bit weights,
 * the most compact type these checkpoints use, so a 32-bit source is over-estimated rather than under.
 */
final class OutputEstimate {
    /** Bytes per weight assumed for a checkpoint whose header is not on disk yet. */
    static final int ASSUMED_SOURCE_BYTES_PER_WEIGHT = 2;
    /** A header larger than this is not a safetensors header (the format caps it at 100 MB). */
    private static final long MAX_HEADER = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private OutputEstimate() {}

    /** Estimated output bytes of converting {@code files} (downloaded, or being downloaded, into {@code dir}) to {@code type}. */
    static long of(List<HubFile> files, Path dir, GgmlType type) throws IOException {
        long total = 0;
        for (HubFile f : files) {
            if (!f.path().endsWith(".safetensors")) {
                total += f.size(); // configs and tokenizer files: copied or embedded as they are
                continue;
            }
            long[] counts = tensorElements(dir.resolve(f.path()));
            if (counts == null) {
                total += bytesFor(f.size() / ASSUMED_SOURCE_BYTES_PER_WEIGHT, type);
            } else {
                // Vectors (norms, biases) stay f32 whatever the type; matrices take the type.
                total += counts[0] * GgmlType.F32.bytesPerBlock() + bytesFor(counts[1], type);
            }
        }
        return total;
    }

    private static long bytesFor(long weights, GgmlType type) {
        long blocks = (weights + type.blockSize() - 1) / type.blockSize();
        return blocks * type.bytesPerBlock();
    }

    /**
     * Element counts {vectors, matrices} of the tensors in the safetensors header of {@code file}
     * or of its {@code .part} when one is on disk with the whole header; null when neither is.
     */
    static long[] tensorElements(Path file) throws IOException {
        Path source = Files.isRegularFile(file) ? file : file.resolveSibling(file.getFileName() + ResumableDownload.PART_SUFFIX);
        if (!Files.isRegularFile(source)) return null;
        try (FileChannel ch = FileChannel.open(source)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            if (ch.read(len, 0) < 8) return null;
            long n = len.getLong(0);
            if (n <= 0 || n > MAX_HEADER || ch.size() < 8 + n) return null;
            ByteBuffer header = ByteBuffer.allocate((int) n);
            while (header.hasRemaining() && ch.read(header, 8 + header.position()) > 0) {
                // read until the header is complete
            }
            JsonNode root = JSON.readTree(header.array());
            long vectors = 0, matrices = 0;
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode shape = e.getValue().get("shape");
                if (e.getKey().equals("__metadata__") || shape == null || !shape.isArray()) continue;
                long elements = 1;
                for (JsonNode d : shape) elements *= d.asLong();
                if (shape.size() < 2) vectors += elements;
                else matrices += elements;
            }
            return new long[] {vectors, matrices};
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            return null; // not a readable header: the assumed ratio applies
        }
    }
}
