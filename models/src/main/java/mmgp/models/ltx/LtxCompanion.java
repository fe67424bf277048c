package mmgp.models.ltx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import mmgp.convert.ConversionPlan;
import mmgp.gguf.GgufFile;
import mmgp.graph.WeightSet;
import mmgp.safetensors.SafetensorsCheckpoint;

/**
 * Where the parts an LTX-Video transformer-only or transformer+VAE checkpoint lacks come from:
 * the T5 text encoder, its tokenizer, the scheduler config and (for a ComfyUI GGUF transformer)
 * the VAE. Either a diffusers LTX-Video folder ({@code text_encoder/}, {@code tokenizer/},
 * {@code scheduler/}, {@code vae/}; its transformer is not read) or a GGUF written by
 * {@code mmgp convert --model ltx} (its {@code text_encoder.*} and {@code vae.*} tensors, configs
 * and tokenizer files). Components are opened only when asked for.
 */
final class LtxCompanion implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path source;
    private final GgufFile gguf; // null for a folder
    private final Map<String, SafetensorsCheckpoint> opened = new LinkedHashMap<>();

    private LtxCompanion(Path source, GgufFile gguf) {
        this.source = source;
        this.gguf = gguf;
    }

    /** Opens a diffusers LTX-Video folder or an mmgp LTX-Video GGUF; anything else is refused by what it is. */
    static LtxCompanion open(Path source) throws IOException {
        if (Files.isDirectory(source)) {
            for (String need : List.of("text_encoder", "tokenizer", "scheduler")) {
                if (!Files.isDirectory(source.resolve(need))) {
                    throw new NoSuchFileException(source.resolve(need).toString(), null,
                            "the T5 text encoder source must be a diffusers LTX-Video folder (text_encoder/, tokenizer/, scheduler/) or an mmgp LTX-Video GGUF");
                }
            }
            return new LtxCompanion(source, null);
        }
        if (!Files.isRegularFile(source)) throw new NoSuchFileException(source.toString(), null, "no T5 text encoder source here");
        GgufFile g = GgufFile.open(source);
        try {
            String arch = g.metadata().getString("general.architecture", "");
            if (!LtxConverter.ARCH.equals(arch)) {
                throw new IllegalArgumentException(source + " holds a '" + arch + "' model; the T5 text encoder source must be an mmgp LTX-Video GGUF "
                        + "(mmgp convert --model ltx) or a diffusers LTX-Video folder");
            }
            return new LtxCompanion(source, g);
        } catch (IOException | RuntimeException e) {
            g.close();
            throw e;
        }
    }

    /** Whether the source holds {@code component}'s weights ("text_encoder", "vae"). */
    boolean has(String component) {
        if (gguf != null) return gguf.metadata().contains("mmgp.config." + component) && !entries(component).isEmpty();
        return Files.isRegularFile(source.resolve(component).resolve("config.json"));
    }

    /** {@code component}'s config ("text_encoder", "transformer", "vae", "scheduler"), or null when the source has none. */
    JsonNode config(String component) throws IOException {
        if (gguf != null) {
            String key = "mmgp.config." + component;
            return gguf.metadata().contains(key) ? JSON.readTree(gguf.getString(key)) : null;
        }
        Path f = source.resolve(component).resolve(component.equals("scheduler") ? "scheduler_config.json" : "config.json");
        return Files.isRegularFile(f) ? JSON.readTree(f.toFile()) : null;
    }

    /** Like {@link #config} for a component the model cannot do without. */
    JsonNode requiredConfig(String component) throws IOException {
        JsonNode c = config(component);
        if (c == null) throw new IllegalArgumentException(source + " has no " + component + " config, which the LTX-Video pipeline needs");
        return c;
    }

    T5Tokenizer tokenizer() throws IOException {
        if (gguf == null) return T5Tokenizer.load(source.resolve("tokenizer"));
        Path dir = LtxConverter.unpackTokenizer(gguf);
        try {
            return T5Tokenizer.load(dir);
        } finally {
            LtxConverter.deleteQuietly(dir);
        }
    }

    /** The tokenizer's files by name, as the converter stores them. */
    Map<String, byte[]> tokenizerFiles() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        if (gguf != null) {
            for (String key : gguf.metadata().keys()) {
                if (key.startsWith(LtxConverter.TOKENIZER_KEY)) {
                    files.put(key.substring(LtxConverter.TOKENIZER_KEY.length()), Base64.getDecoder().decode(gguf.getString(key)));
                }
            }
        } else {
            try (Stream<Path> s = Files.list(source.resolve("tokenizer"))) {
                for (Path f : s.filter(Files::isRegularFile).sorted().toList()) files.put(f.getFileName().toString(), Files.readAllBytes(f));
            }
        }
        if (!files.containsKey("spiece.model")) throw new IOException(source + " holds no T5 tokenizer spiece.model");
        return files;
    }

    /** {@code component}'s weights, named {@code component.<tensor>}, as regions of the mapped files. */
    List<WeightSet.Region> regions(String component) throws IOException {
        if (gguf != null) {
            List<WeightSet.Entry> entries = entries(component);
            if (entries.isEmpty()) throw new IllegalArgumentException(source + " holds no " + component + ".* tensors");
            return List.of(new WeightSet.Region(gguf.dataSection(), entries));
        }
        return WeightSet.regions(weights(component), component + ".");
    }

    /** Adds {@code component}'s weights to a conversion, under the same names. */
    void addTo(ConversionPlan plan, String component) throws IOException {
        if (gguf != null) {
            List<WeightSet.Entry> entries = entries(component);
            if (entries.isEmpty()) throw new IllegalArgumentException(source + " holds no " + component + ".* tensors");
            for (WeightSet.Entry e : entries) {
                long rows = 1;
                for (int i = 1; i < e.ne().length; i++) rows *= e.ne()[i];
                plan.addRaw(e.name(), gguf.dataSection().asSlice(e.offset(), e.type().rowBytes(e.ne()[0]) * rows), e.type(), e.ne());
            }
            return;
        }
        SafetensorsCheckpoint w = weights(component);
        for (String name : w.names().stream().sorted().toList()) {
            switch (w.tensor(name).dtype()) {
                case F32, F16, BF16, F64 -> plan.addNamed(component + "." + name, w, name);
                default -> { } // integer buffers are not weights
            }
        }
    }

    private List<WeightSet.Entry> entries(String component) {
        List<WeightSet.Entry> out = new ArrayList<>();
        for (WeightSet.Entry e : WeightSet.ggufEntries(gguf)) {
            if (e.name().startsWith(component + ".")) out.add(e);
        }
        return out;
    }

    private SafetensorsCheckpoint weights(String component) throws IOException {
        SafetensorsCheckpoint w = opened.get(component);
        if (w == null) {
            Path dir = source.resolve(component);
            if (!Files.isDirectory(dir)) throw new NoSuchFileException(dir.toString(), null, "the LTX-Video pipeline needs the " + component);
            w = SafetensorsCheckpoint.open(dir);
            opened.put(component, w);
        }
        return w;
    }

    Path source() {
        return source;
    }

    @Override
    public void close() {
        for (SafetensorsCheckpoint w : opened.values()) w.close();
        opened.clear();
        if (gguf != null) gguf.close();
    }
}
