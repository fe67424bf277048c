package mmgp.models.ltx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Comparator;
import java.util.stream.Stream;
import mmgp.convert.ConversionPlan;
import mmgp.convert.HfCheckpoint;
import mmgp.convert.ModelConverter;
import mmgp.convert.TypePolicy;
import mmgp.gguf.GgufFile;
import mmgp.tensor.GgmlType;

/**
 * Lightricks/LTX-Video (diffusers layout) → one GGUF: T5 encoder, transformer and VAE weights
 * under their Hugging Face names, every component's config, and the T5 tokenizer files stored
 * verbatim (spiece.model base64-encoded) so the same tokenizer code reads them back.
 */
public final class LtxConverter implements ModelConverter {
    public static final String ARCH = "ltx-video";
    static final String TOKENIZER_KEY = "mmgp.tokenizer.file.";

    @Override
    public String id() {
        return "ltx";
    }

    @Override
    public String description() {
        return "LTX-Video (Lightricks/LTX-Video layout): T5 encoder + video transformer + video VAE, one GGUF";
    }

    @Override
    public void adjust(TypePolicy policy) {
        if (policy.requested().isQuantized()) {
            // The token table is gathered, not multiplied; the VAE is precision-sensitive and small.
            policy.rule(".*shared\\.weight", GgmlType.F16);
            // A learned scalar (≈1000) that scales the decode timestep: F16 would round 1008.757 to 1008.5.
            policy.rule("vae\\..*timestep_scale_multiplier", GgmlType.F32);
            policy.rule("vae\\..*", GgmlType.F16);
        }
    }

    @Override
    public void plan(HfCheckpoint checkpoint, ConversionPlan plan) throws IOException {
        if (!checkpoint.isPipeline() || !checkpoint.modelIndex().path("_class_name").asText().equals("LTXPipeline")) {
            throw new IllegalArgumentException(checkpoint.root() + " is not an LTX-Video pipeline folder (model_index.json _class_name LTXPipeline)");
        }
        for (String c : LtxModel.COMPONENTS) checkpoint.component(c);
        plan.metadata().putString("general.architecture", ARCH);
        plan.metadata().putString("general.name", checkpoint.root().getFileName().toString());
        // Which code paths the checkpoint needs; the engine reads the same facts from the configs.
        var vae = checkpoint.component("vae").config();
        String version = vae.path("timestep_conditioning").asBoolean(false)
                ? (vae.path("down_block_types").toString().contains("LTXVideo095DownBlock3D") ? "0.9.5" : "0.9.1")
                : "0.9.0";
        plan.metadata().putString("mmgp.ltx.version", version);
        plan.addCheckpoint(checkpoint);
        Path scheduler = checkpoint.root().resolve("scheduler").resolve("scheduler_config.json");
        if (!Files.isRegularFile(scheduler)) throw new IOException(scheduler + " is missing");
        plan.metadata().putString("mmgp.config.scheduler", Files.readString(scheduler));
        Path tok = checkpoint.root().resolve("tokenizer");
        if (!Files.isRegularFile(tok.resolve("spiece.model"))) throw new IOException(tok + " must hold the T5 tokenizer's spiece.model");
        try (Stream<Path> files = Files.list(tok)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                plan.metadata().putString(TOKENIZER_KEY + f.getFileName(), Base64.getEncoder().encodeToString(Files.readAllBytes(f)));
            }
        }
    }

    /** Writes the tokenizer files stored in {@code gguf} into a new temporary folder. */
    static Path unpackTokenizer(GgufFile gguf) throws IOException {
        Path dir = Files.createTempDirectory("mmgp-t5-tokenizer");
        for (String key : gguf.metadata().keys()) {
            if (!key.startsWith(TOKENIZER_KEY)) continue;
            String name = key.substring(TOKENIZER_KEY.length());
            if (name.contains("/") || name.contains("\\") || name.startsWith(".")) throw new IOException("bad tokenizer file name in GGUF: " + name);
            Files.write(dir.resolve(name), Base64.getDecoder().decode(gguf.getString(key)));
        }
        if (!Files.exists(dir.resolve("spiece.model"))) {
            deleteQuietly(dir);
            throw new IOException("GGUF has no T5 tokenizer (" + TOKENIZER_KEY + "spiece.model)");
        }
        return dir;
    }

    static void deleteQuietly(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover temp folder is harmless
        }
    }
}
