package mmgp.registry;

import java.util.List;
import java.util.Optional;
import mmgp.api.VideoOptions;
import mmgp.tensor.GgmlType;

/** The models {@code mmgp pull <name>} knows by name. */
public final class ModelCatalog {
    /** The 2B 0.9.8 distilled single-file checkpoint in Lightricks/LTX-Video. */
    public static final String DISTILLED_2B_098_FILE = "ltxv-2b-0.9.8-distilled.safetensors";

    /** The distilled releases' fixed timestep list. */
    static final double[] DISTILLED_TIMESTEPS = VideoOptions.DISTILLED_TIMESTEPS.stream().mapToDouble(Double::doubleValue).toArray();

    /**
     * What Lightricks recommend for their distilled releases (configs/ltxv-*-distilled.yaml: the
     * first pass's timesteps, guidance 1, decode timestep 0.05 with decode noise scale 0.025).
     */
    public static final ModelDefaults DISTILLED_DEFAULTS = ModelDefaults.distilled(DISTILLED_TIMESTEPS, 0.05f, 0.025f);

    private static final List<CatalogEntry> ENTRIES = List.of(
            new CatalogEntry("smolvlm2-256m", "HuggingFaceTB/SmolVLM2-256M-Video-Instruct", "main", ModelFamily.SMOLVLM, GgmlType.Q8_0),
            new CatalogEntry("amused-256", "amused/amused-256", "main", ModelFamily.AMUSED, GgmlType.Q8_0),
            new CatalogEntry("amused-512", "amused/amused-512", "main", ModelFamily.AMUSED, GgmlType.Q8_0),
            // 0.9.0-era diffusers folders of the main repository: today's 40 steps, guidance 3; its VAE has no decode timestep.
            new CatalogEntry("ltx-video", "Lightricks/LTX-Video", "main", ModelFamily.LTX, GgmlType.Q8_0,
                    ModelDefaults.of(40, 3f, null)),
            // 0.9.5 (diffusers layout): 40 steps, guidance 3 as diffusers' examples; timestep-aware VAE: decode timestep 0.05.
            new CatalogEntry("ltx-video-0.9.5", "Lightricks/LTX-Video-0.9.5", "main", ModelFamily.LTX, GgmlType.Q8_0,
                    ModelDefaults.of(40, 3f, 0.05f)),
            // 2B 0.9.8 distilled: Lightricks publish it only as a single-file checkpoint in the main repository; the T5
            // encoder, tokenizer and scheduler come from the 0.9.5 diffusers repository (downloaded once, shared). The distilled schedule, no CFG.
            new CatalogEntry("ltx-video-2b-0.9.8-distilled", "Lightricks/LTX-Video", "main",
                    ModelFamily.ltxSingleFile(DISTILLED_2B_098_FILE), GgmlType.Q8_0, DISTILLED_DEFAULTS));

    private ModelCatalog() {}

    public static List<CatalogEntry> entries() {
        return ENTRIES;
    }

    public static Optional<CatalogEntry> find(String name) {
        return ENTRIES.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    /** The entry called {@code name}, or an error that lists the known names and the --repo escape hatch. */
    public static CatalogEntry byName(String name) {
        return find(name).orElseThrow(() -> new IllegalArgumentException("unknown model '" + name + "'; known: "
                + ENTRIES.stream().map(CatalogEntry::name).toList() + " (or pull any repository with --repo owner/name --family amused|ltx|smolvlm)"));
    }
}
