package mmgp.models.ltx;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import mmgp.check.TensorComparison;
import mmgp.graph.ComputeBackend;
import mmgp.safetensors.SafetensorsFile;

/** Placeholder being replaced in this session's work; the case fails with this message until then. */
final class LtxTiledDecodeCase {
    private LtxTiledDecodeCase() {}

    static void run(LtxModel m, ComputeBackend backend, JsonNode spec, SafetensorsFile golden, double atol, double rtol, List<TensorComparison> out) {
        throw new UnsupportedOperationException("case '" + spec.path("name").asText() + "' is not implemented yet");
    }
}
