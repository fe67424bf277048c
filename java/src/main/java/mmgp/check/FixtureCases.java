package mmgp.check;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A golden fixture folder: {@code checkpoint/} (Hugging Face layout) and {@code golden/cases.json}
 * naming each case's safetensors file, tolerances and notes (see shared/fixtures/README.md).
 */
public record FixtureCases(Path root, String model, JsonNode document, List<Case> cases) {
    /** One case of cases.json. */
    public record Case(String name, Path file, JsonNode spec) {
        public double atol(double fallback) {
            JsonNode t = spec.path("tolerance");
            if (t.has("fp32_atol")) return t.get("fp32_atol").asDouble();
            if (t.has("image_atol")) return t.get("image_atol").asDouble();
            return fallback;
        }

        public double rtol(double fallback) {
            JsonNode t = spec.path("tolerance");
            return t.has("fp32_rtol") ? t.get("fp32_rtol").asDouble() : fallback;
        }
    }

    public static FixtureCases load(Path root) throws IOException {
        Path json = root.resolve("golden").resolve("cases.json");
        if (!Files.isRegularFile(json)) {
            throw new NoSuchFileException(json.toString(), null, "not a fixture folder (expected golden/cases.json)");
        }
        JsonNode doc;
        try {
            doc = new ObjectMapper().readTree(json.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // Jackson's own message spans two lines and names no file.
            com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new IOException(json + " is not valid JSON" + where + ": " + e.getOriginalMessage().replace('\n', ' '), e);
        }
        String model = doc.path("model").asText("");
        if (model.isEmpty()) throw new IOException(json + " has no \"model\" field");
        List<Case> cases = new ArrayList<>();
        for (JsonNode c : doc.path("cases")) {
            String name = c.path("name").asText();
            String file = c.path("file").asText("");
            cases.add(new Case(name, file.isEmpty() ? null : root.resolve(file), c));
        }
        if (cases.isEmpty()) throw new IOException(json + " lists no cases");
        return new FixtureCases(root, model, doc, List.copyOf(cases));
    }

    public Path checkpoint() {
        return root.resolve("checkpoint");
    }
}
