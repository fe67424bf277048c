package mmgp.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import mmgp.api.Task;

/**
 * {@code manifest.json} of an installed model: what it is, where it came from (repository, commit,
 * each source file's size and sha256) and every installed file with its size and sha256, so
 * {@code mmgp models verify} can prove the files on disk are the ones that were converted.
 *
 * @param entry the path a model loader opens, relative to the model folder: the GGUF file for
 *              single-file models, {@code "."} for models that are a folder (SmolVLM2)
 * @param defaults the model's recommended generation settings ({@link ModelDefaults#NONE} when the
 *              manifest has none, e.g. one written before defaults existed)
 * @param shared   files of other repositories the model was built from (e.g. the T5 encoder of a
 *              single-file LTX-Video checkpoint), each with its commit; empty for most models
 */
public record ModelManifest(String name, Task task, String family, String entry, String weightType, Instant created,
                            Source source, List<InstalledFile> files, ModelDefaults defaults, List<Source> shared) {
    public static final String FILE_NAME = "manifest.json";

    /** Where the weights came from: repository, the exact commit, and the files that were downloaded. */
    public record Source(String repo, String revision, List<SourceFile> files) {
        public Source {
            files = List.copyOf(files);
        }
    }

    /**
     * @param gitOid the git blob sha1 the hub lists for a file kept in git rather than LFS (the hub
     *               gives no sha256 for those), so a later pull can tell the file is unchanged; null
     *               for LFS files, whose sha256 the hub lists, and in manifests written before it was recorded
     */
    public record SourceFile(String path, long size, String sha256, String gitOid) {
        public SourceFile(String path, long size, String sha256) {
            this(path, size, sha256, null);
        }

        /** Whether the hub's {@code f} has this content: by the LFS sha256, else by the git blob id. */
        public boolean sameContentAs(HubFile f) {
            if (!f.path().equals(path) || f.size() != size) return false;
            return f.isLfs() ? f.lfsSha256().equalsIgnoreCase(sha256) : gitOid != null && gitOid.equalsIgnoreCase(f.gitOid());
        }
    }

    /** @param type what the file is to the loader: "weights", "projector" (an mmproj GGUF) or "processor" */
    public record InstalledFile(String path, long size, String sha256, String type) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public ModelManifest {
        CatalogEntry.checkName(name);
        if (task == null) throw new IllegalArgumentException("manifest of " + name + " has no task");
        files = List.copyOf(files);
        shared = shared == null ? List.of() : List.copyOf(shared);
        if (defaults == null) defaults = ModelDefaults.NONE;
        checkRelative(entry, name);
        for (InstalledFile f : files) {
            checkRelative(f.path(), name);
            if (f.size() < 0) throw new IllegalArgumentException("manifest of " + name + ": negative size for " + f.path());
            if (f.sha256() == null || !SHA256.matcher(f.sha256()).matches()) {
                throw new IllegalArgumentException("manifest of " + name + ": '" + f.sha256() + "' is not a sha256 (file " + f.path() + ")");
            }
        }
    }

    /** A manifest of a model built from one repository. */
    public ModelManifest(String name, Task task, String family, String entry, String weightType, Instant created,
                         Source source, List<InstalledFile> files, ModelDefaults defaults) {
        this(name, task, family, entry, weightType, created, source, files, defaults, List.of());
    }

    /** A manifest without recommended defaults. */
    public ModelManifest(String name, Task task, String family, String entry, String weightType, Instant created,
                         Source source, List<InstalledFile> files) {
        this(name, task, family, entry, weightType, created, source, files, ModelDefaults.NONE);
    }

    public ModelManifest withDefaults(ModelDefaults d) {
        return new ModelManifest(name, task, family, entry, weightType, created, source, files, d, shared);
    }

    /** Manifest paths stay inside the model folder: a crafted manifest must not make verify read elsewhere. */
    private static void checkRelative(String path, String model) {
        if (path == null || path.isEmpty() || path.startsWith("/") || path.contains("\\") || path.contains(":")
                || Arrays.asList(path.split("/")).contains("..")) {
            throw new IllegalArgumentException("manifest of " + model + ": path '" + path + "' is not a plain relative path");
        }
    }

    public long totalSize() {
        return files.stream().mapToLong(InstalledFile::size).sum();
    }

    public void write(Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("name", name);
        root.put("task", task.label());
        root.put("family", family);
        root.put("entry", entry);
        root.put("weight_type", weightType);
        root.put("created", created.toString());
        writeSource(root.putObject("source"), source);
        if (!shared.isEmpty()) {
            ArrayNode sh = root.putArray("shared");
            for (Source s : shared) writeSource(sh.addObject(), s);
        }
        ArrayNode out = root.putArray("files");
        for (InstalledFile f : files) out.addObject().put("path", f.path()).put("size", f.size()).put("sha256", f.sha256()).put("type", f.type());
        if (!defaults.isEmpty()) defaults.writeTo(root.putObject("defaults"));
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
    }

    private static void writeSource(ObjectNode src, Source source) {
        src.put("repo", source.repo());
        src.put("revision", source.revision());
        ArrayNode srcFiles = src.putArray("files");
        for (SourceFile f : source.files()) {
            ObjectNode n = srcFiles.addObject().put("path", f.path()).put("size", f.size()).put("sha256", f.sha256());
            if (f.gitOid() != null) n.put("git_oid", f.gitOid());
        }
    }

    private static Source readSource(JsonNode src) {
        List<SourceFile> sourceFiles = new ArrayList<>();
        for (JsonNode f : required(src, "files")) sourceFiles.add(new SourceFile(text(f, "path"), number(f, "size"), text(f, "sha256"),
                f.hasNonNull("git_oid") ? text(f, "git_oid") : null));
        return new Source(text(src, "repo"), text(src, "revision"), sourceFiles);
    }

    public static ModelManifest read(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException("cannot parse " + file + ": " + e.getMessage(), e);
        }
        try {
            Source source = readSource(required(root, "source"));
            List<Source> shared = new ArrayList<>();
            JsonNode sh = root.get("shared");
            if (sh != null && !sh.isNull()) {
                if (!sh.isArray()) throw new IllegalArgumentException("field 'shared' is not a list: " + sh);
                for (JsonNode s : sh) shared.add(readSource(s));
            }
            List<InstalledFile> files = new ArrayList<>();
            for (JsonNode f : required(root, "files")) files.add(new InstalledFile(text(f, "path"), number(f, "size"), text(f, "sha256"), text(f, "type")));
            return new ModelManifest(text(root, "name"), task(text(root, "task")), text(root, "family"), text(root, "entry"),
                    text(root, "weight_type"), Instant.parse(text(root, "created")),
                    source, files, ModelDefaults.read(root.get("defaults")), shared);
        } catch (IllegalArgumentException | java.time.format.DateTimeParseException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    public static Task task(String label) {
        for (Task t : Task.values()) if (t.label().equals(label.toLowerCase(Locale.ROOT))) return t;
        throw new IllegalArgumentException("unknown task '" + label + "'; use understand, image or video");
    }

    private static JsonNode required(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException("missing field '" + field + "'");
        return v;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = required(node, field);
        if (!v.isTextual()) throw new IllegalArgumentException("field '" + field + "' is not a string: " + v);
        return v.asText();
    }

    private static long number(JsonNode node, String field) {
        JsonNode v = required(node, field);
        if (!v.canConvertToLong()) throw new IllegalArgumentException("field '" + field + "' is not an integer: " + v);
        return v.asLong();
    }
}
