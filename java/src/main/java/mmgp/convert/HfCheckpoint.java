package mmgp.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import mmgp.safetensors.SafetensorsCheckpoint;

/**
 * A Hugging Face checkpoint folder as it is on disk: either one transformers model
 * ({@code config.json} + safetensors) or a diffusers pipeline ({@code model_index.json} with one
 * sub-folder per component). Each component exposes its parsed config and its mapped weights.
 */
public final class HfCheckpoint implements AutoCloseable {
    /** One model of the checkpoint: "" for a plain transformers folder, else the sub-folder name. */
    public record Component(String name, Path folder, JsonNode config, SafetensorsCheckpoint weights) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;
    private final JsonNode modelIndex;
    private final Map<String, Component> components;

    private HfCheckpoint(Path root, JsonNode modelIndex, Map<String, Component> components) {
        this.root = root;
        this.modelIndex = modelIndex;
        this.components = components;
    }

    public static HfCheckpoint open(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) throw new NoSuchFileException(folder.toString(), null, "not a checkpoint folder");
        Map<String, Component> comps = new LinkedHashMap<>();
        JsonNode index = null;
        List<SafetensorsCheckpoint> opened = new ArrayList<>();
        try {
            Path indexFile = folder.resolve("model_index.json");
            if (Files.isRegularFile(indexFile)) {
                index = readJson(indexFile);
                List<Path> subs;
                try (Stream<Path> s = Files.list(folder)) {
                    subs = s.filter(Files::isDirectory).sorted().toList();
                }
                for (Path sub : subs) {
                    if (!hasSafetensors(sub)) continue;
                    SafetensorsCheckpoint w = SafetensorsCheckpoint.open(sub);
                    opened.add(w);
                    comps.put(sub.getFileName().toString(), new Component(sub.getFileName().toString(), sub, configOf(sub), w));
                }
            } else if (hasSafetensors(folder)) {
                SafetensorsCheckpoint w = SafetensorsCheckpoint.open(folder);
                opened.add(w);
                comps.put("", new Component("", folder, configOf(folder), w));
            }
            if (comps.isEmpty()) {
                throw new IOException(folder + " holds no safetensors weights (expected config.json + *.safetensors, "
                        + "or a diffusers model_index.json with component folders)");
            }
            return new HfCheckpoint(folder, index, comps);
        } catch (IOException | RuntimeException e) {
            for (SafetensorsCheckpoint w : opened) w.close();
            throw e;
        }
    }

    private static boolean hasSafetensors(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".safetensors"));
        }
    }

    private static JsonNode configOf(Path dir) throws IOException {
        Path cfg = dir.resolve("config.json");
        return Files.isRegularFile(cfg) ? readJson(cfg) : JSON.createObjectNode();
    }

    static JsonNode readJson(Path file) throws IOException {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException("cannot parse " + file + ": " + e.getMessage(), e);
        }
    }

    public Path root() {
        return root;
    }

    /** True for a diffusers pipeline folder. */
    public boolean isPipeline() {
        return modelIndex != null;
    }

    public JsonNode modelIndex() {
        return modelIndex;
    }

    public Map<String, Component> components() {
        return java.util.Collections.unmodifiableMap(components);
    }

    /** The component called {@code name}; a clear error lists the ones present. */
    public Component component(String name) {
        Component c = components.get(name);
        if (c == null) throw new IllegalArgumentException("checkpoint " + root + " has no component '" + name + "' (has " + components.keySet() + ")");
        return c;
    }

    @Override
    public void close() {
        for (Component c : components.values()) c.weights().close();
    }
}
