package mmgp.models.ltx;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import mmgp.convert.ConversionPlan;
import mmgp.convert.HfCheckpoint;
import mmgp.convert.ModelConverter;
import mmgp.convert.TypePolicy;
import mmgp.gguf.GgufFile;
import mmgp.registry.ModelDefaults;
import mmgp.safetensors.SafetensorsCheckpoint;
import mmgp.tensor.GgmlType;

/**
 * Lightricks/LTX-Video (diffusers layout; or a single file / ComfyUI GGUF transformer with a T5
 * source, {@link #planFile}) → one GGUF: T5 encoder, transformer and VAE weights under their
 * Hugging Face (diffusers) names, every component's config, and the T5 tokenizer files stored
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
        return "LTX-Video (a diffusers folder, or a Lightricks single file / ComfyUI GGUF transformer with --text-encoder): "
                + "T5 encoder + video transformer + video VAE, one GGUF";
    }

    @Override
    public boolean takesDefaults() {
        return true;
    }

    @Override
    public void adjust(TypePolicy policy) {
        // ComfyUI-GGUF's ltxv rule, for every input (a ComfyUI file's float tensors are re-typed too): the
        // per-block modulation tables stay F32 at any --type, as its converter keeps them
        policy.rule(".*scale_shift_table", GgmlType.F32);
        if (policy.requested().isQuantized()) {
            // ...and the small embedders and projections at F16, as its quantizer leaves them: they are a tiny share
            // of the weights, and the timestep / caption / patch embeddings feed every block. Their biases stay F32.
            policy.rule("transformer\\.(time_embed|caption_projection|proj_in|proj_out)\\..*weight", GgmlType.F16);
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
        plan.metadata().putString("mmgp.ltx.version", version(checkpoint.component("vae").config()));
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

    /** Which VAE code path the checkpoint needs (the engine reads the same facts from the configs). */
    static String version(JsonNode vae) {
        return vae.path("timestep_conditioning").asBoolean(false)
                ? (vae.path("down_block_types").toString().contains("LTXVideo095DownBlock3D") ? "0.9.5" : "0.9.1")
                : "0.9.0";
    }

    /**
     * A Lightricks single file ({@link LtxSingleFile}: transformer and VAE, renamed to diffusers'
     * names) or a ComfyUI GGUF transformer ({@link LtxComfyGguf}: its quantized tensors copied as
     * they are, float ones typed by the policy; the VAE from the companion), with the T5 encoder,
     * tokenizer and scheduler of {@code companion} (a diffusers LTX-Video folder or an mmgp
     * LTX-Video GGUF; for a single file, by default the folder it lies in). The configs are
     * stored in diffusers' form, as for a folder, so the result loads like any converted model.
     */
    @Override
    public AutoCloseable planFile(Path file, Path companion, ConversionPlan plan) throws IOException {
        boolean single = !LtxComfyGguf.isGguf(file); // by content: renamed files (.sft, no extension) are common
        List<AutoCloseable> open = new ArrayList<>();
        AutoCloseable all = () -> {
            for (AutoCloseable c : open.reversed()) c.close();
        };
        try {
            // the checkpoint first: a file that is no LTX-Video checkpoint is refused by what it is
            LtxSingleFile sf = single ? LtxSingleFile.open(file) : null;
            LtxComfyGguf g = single ? null : LtxComfyGguf.open(file);
            open.add(single ? sf : g);
            Path source = companion;
            if (source == null) {
                Path parent = file.toAbsolutePath().getParent();
                if (!single || parent == null || !Files.isDirectory(parent.resolve("text_encoder"))) {
                    throw new IllegalArgumentException(file + " holds no T5 text encoder; give one with --text-encoder "
                            + "(a diffusers LTX-Video folder or an mmgp LTX-Video GGUF)");
                }
                source = parent;
            }
            LtxCompanion c = LtxCompanion.open(source);
            open.add(c);
            JsonNode transformer;
            JsonNode vae;
            if (single) {
                SafetensorsCheckpoint raw = SafetensorsCheckpoint.open(file);
                open.add(raw);
                for (var e : sf.originalNames().entrySet()) plan.addNamed(e.getKey(), raw, e.getValue());
                transformer = sf.transformerConfig(c.config("transformer"));
                vae = sf.vaeConfig();
            } else {
                if (!c.has("vae")) throw new IllegalArgumentException(source + " has no VAE; a ComfyUI GGUF transformer takes its VAE from --text-encoder");
                transformer = g.transformerConfig(c.config("transformer"));
                vae = c.requiredConfig("vae");
                String mismatch = g.vaeMismatch(vae, source);
                if (mismatch != null) System.err.println(mismatch);
                g.addTo(plan);
                c.addTo(plan, "vae");
            }
            c.addTo(plan, "text_encoder");
            String name = file.getFileName().toString().replaceFirst("\\.(safetensors|sft|gguf)$", "");
            plan.metadata().putString("general.architecture", ARCH);
            plan.metadata().putString("general.name", name);
            plan.metadata().putString("mmgp.ltx.version", version(vae));
            plan.metadata().putString("mmgp.ltx.source", (single ? "single file " : "ComfyUI GGUF ") + file.getFileName() + ", text encoder from " + source.getFileName());
            plan.metadata().putString("mmgp.config.transformer", transformer.toString());
            plan.metadata().putString("mmgp.config.vae", vae.toString());
            plan.metadata().putString("mmgp.config.text_encoder", c.requiredConfig("text_encoder").toString());
            plan.metadata().putString("mmgp.config.scheduler", c.requiredConfig("scheduler").toString());
            for (var t : c.tokenizerFiles().entrySet()) {
                plan.metadata().putString(TOKENIZER_KEY + t.getKey(), Base64.getEncoder().encodeToString(t.getValue()));
            }
            // the caller's defaults (a catalog entry, --defaults) win over what the header says
            if (single && !ModelDefaults.recordedIn(plan.metadata())) sf.recommendedDefaults().writeTo(plan.metadata());
            return all;
        } catch (IOException | RuntimeException e) {
            try {
                all.close();
            } catch (Exception ignored) {
                // the first failure is the one to report
            }
            throw e;
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
