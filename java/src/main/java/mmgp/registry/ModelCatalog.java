package mmgp.registry;

import java.util.List;
import java.util.Optional;
import mmgp.tensor.GgmlType;

/** The models {@code mmgp pull <name>} knows by name. */
public final class ModelCatalog {
    private static final List<CatalogEntry> ENTRIES = List.of(
            new CatalogEntry("smolvlm2-256m", "HuggingFaceTB/SmolVLM2-256M-Video-Instruct", "main", ModelFamily.SMOLVLM, GgmlType.Q8_0),
            new CatalogEntry("amused-256", "amused/amused-256", "main", ModelFamily.AMUSED, GgmlType.Q8_0),
            new CatalogEntry("amused-512", "amused/amused-512", "main", ModelFamily.AMUSED, GgmlType.Q8_0),
            new CatalogEntry("ltx-video", "Lightricks/LTX-Video", "main", ModelFamily.LTX, GgmlType.Q8_0));

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
