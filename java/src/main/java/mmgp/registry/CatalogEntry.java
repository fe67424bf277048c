package mmgp.registry;

import java.util.regex.Pattern;
import mmgp.tensor.GgmlType;

/**
 * A model that can be pulled: its registry name, where it lives on the hub, how to convert it, and
 * the generation settings it recommends (written into the installed model's manifest).
 */
public record CatalogEntry(String name, String repo, String revision, ModelFamily family, GgmlType defaultType, ModelDefaults defaults) {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,99}");
    private static final Pattern REPO = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*");

    public CatalogEntry {
        checkName(name);
        if (repo == null || !REPO.matcher(repo).matches() || repo.contains("..")) {
            throw new IllegalArgumentException("bad repository id '" + repo + "': expected owner/name, e.g. amused/amused-256");
        }
        if (revision == null || revision.isBlank()) throw new IllegalArgumentException("empty revision for " + name);
        if (defaults == null) defaults = ModelDefaults.NONE;
    }

    /** An entry without recommended defaults (e.g. {@code mmgp pull --repo}). */
    public CatalogEntry(String name, String repo, String revision, ModelFamily family, GgmlType defaultType) {
        this(name, repo, revision, family, defaultType, ModelDefaults.NONE);
    }

    /** Registry names become folder names: lower-case letters, digits, '.', '_' and '-' only. */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches() || name.contains("..")) {
            throw new IllegalArgumentException("bad model name '" + name + "': use lower-case letters, digits, '.', '_' and '-' (e.g. amused-256)");
        }
        return name;
    }

    public CatalogEntry withRevision(String rev) {
        return new CatalogEntry(name, repo, rev, family, defaultType, defaults);
    }
}
