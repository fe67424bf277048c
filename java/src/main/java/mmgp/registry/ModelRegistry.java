package mmgp.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import mmgp.api.Task;

/**
 * The folder of installed models: {@code <root>/<name>/} holds a model's converted files and its
 * {@link ModelManifest}. A model appears only when its folder is renamed into place complete with
 * its manifest (pulls build it under {@code <root>/.staging/}), so a failed pull never leaves a
 * half model that looks installed. Folders whose name starts with '.' are the registry's own
 * (downloads, staging, locks). {@code registry.json} keeps the default model per task: the user's
 * choice, or the last distilled model installed when the user made none ({@code "automatic"}).
 */
public final class ModelRegistry {
    public static final String ENV = "MMGP_MODELS";
    static final String SETTINGS = "registry.json";
    static final String STAGING = ".staging";
    static final String DOWNLOADS = ".downloads";
    static final String LOCKS = ".locks";
    /** registry.json's tasks whose default an install chose (not the user). */
    private static final String AUTOMATIC = "automatic";
    /** In a model's folder: its install could not record it as the default (registry.json unwritable); the next pull retries. */
    static final String DEFAULT_PENDING = ".default-pending";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;

    public ModelRegistry(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** {@code override} when given, else $MMGP_MODELS, else ~/.cache/mmgp/models. */
    public static ModelRegistry open(Path override) {
        if (override != null) return new ModelRegistry(override);
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) return new ModelRegistry(Path.of(env));
        return new ModelRegistry(Path.of(System.getProperty("user.home"), ".cache", "mmgp", "models"));
    }

    public Path root() {
        return root;
    }

    /** Where pulls keep downloads (resumable across runs) until the model is installed. */
    public Path downloads() {
        return root.resolve(DOWNLOADS);
    }

    /** Installed models by name; folders with an unreadable manifest are left out (see {@link #unreadable()}). */
    public List<InstalledModel> list() throws IOException {
        List<InstalledModel> models = new ArrayList<>();
        for (Path dir : modelFolders()) {
            try {
                models.add(load(dir));
            } catch (IOException | IllegalArgumentException e) {
                // reported by unreadable(); one damaged folder must not hide the other models
            }
        }
        return models;
    }

    /** Model folders whose manifest cannot be read, with the reason. */
    public Map<Path, String> unreadable() throws IOException {
        Map<Path, String> bad = new LinkedHashMap<>();
        for (Path dir : modelFolders()) {
            try {
                load(dir);
            } catch (IOException | IllegalArgumentException e) {
                bad.put(dir, e.getMessage());
            }
        }
        return bad;
    }

    public Optional<InstalledModel> find(String name) throws IOException {
        CatalogEntry.checkName(name);
        Path dir = root.resolve(name);
        if (!Files.isRegularFile(dir.resolve(ModelManifest.FILE_NAME))) return Optional.empty();
        return Optional.of(load(dir));
    }

    /** The installed model called {@code name}, or an error listing what is installed. */
    public InstalledModel require(String name) throws IOException {
        Optional<InstalledModel> m = find(name);
        if (m.isEmpty()) throw new IllegalArgumentException(installedMessage("no model '" + name + "' is installed"));
        return m.get();
    }

    /**
     * The model to use for {@code task}: the configured default when there is one, else the only
     * installed model of that task, else the only distilled one (its manifest's defaults say so:
     * the CPU-practical choice); empty when none is installed; an error when several are and none
     * is the default or the one distilled model.
     */
    public Optional<InstalledModel> installed(Task task) throws IOException {
        Optional<String> preferred = defaultFor(task);
        if (preferred.isPresent()) {
            InstalledModel m = find(preferred.get()).orElseThrow(() -> new IllegalStateException("the default " + task.label() + " model '"
                    + preferred.get() + "' (" + root.resolve(SETTINGS) + ") is not installed: pull it or choose another with mmgp models default " + task.label() + " <name>"));
            if (m.manifest().task() != task) throw new IllegalStateException("the default " + task.label() + " model '" + m.name() + "' is a " + m.manifest().task().label() + " model");
            return Optional.of(m);
        }
        List<InstalledModel> candidates = list().stream().filter(m -> m.manifest().task() == task).toList();
        if (candidates.size() > 1) {
            // mmgp runs on CPUs: of several models, a single distilled one (few steps, no guidance) is the sensible default.
            List<InstalledModel> distilled = candidates.stream().filter(m -> m.manifest().defaults().distilled()).toList();
            if (distilled.size() == 1) return Optional.of(distilled.getFirst());
            throw new IllegalStateException("several " + task.label() + " models are installed " + candidates.stream().map(InstalledModel::name).toList()
                    + ": choose one with mmgp models default " + task.label() + " <name>");
        }
        return candidates.stream().findFirst();
    }

    public Optional<String> defaultFor(Task task) throws IOException {
        JsonNode name = settings().path("defaults").get(task.label());
        return name == null || !name.isTextual() ? Optional.empty() : Optional.of(name.asText());
    }

    /** Makes {@code name} (an installed model of {@code task}) the model used for {@code task}: the user's choice, which installs leave alone. */
    public void setDefault(Task task, String name) throws IOException {
        InstalledModel m = require(name);
        if (m.manifest().task() != task) throw new IllegalArgumentException(name + " is a " + m.manifest().task().label() + " model, not " + task.label());
        editSettings(s -> {
            (s.get("defaults") instanceof ObjectNode d ? d : s.putObject("defaults")).put(task.label(), name);
            if (s.get(AUTOMATIC) instanceof ObjectNode a) a.remove(task.label());
            return true;
        });
    }

    /** Whether {@code task}'s default was chosen by an install ({@link #install}) rather than by the user. */
    public boolean defaultIsAutomatic(Task task) throws IOException {
        return defaultFor(task).isPresent() && settings().path(AUTOMATIC).path(task.label()).asBoolean(false);
    }

    /**
     * A distilled model (few steps, no guidance: the CPU-practical choice) becomes its task's
     * default on install unless the user chose one with {@link #setDefault}; a later distilled
     * install replaces an automatic choice, never the user's. Returns whether the default changed.
     */
    private boolean preferDistilled(ModelManifest m) throws IOException {
        if (!m.defaults().distilled()) return false;
        String task = m.task().label();
        return editSettings(s -> {
            boolean chosenByUser = s.path("defaults").hasNonNull(task) && !s.path(AUTOMATIC).path(task).asBoolean(false);
            if (chosenByUser || m.name().equals(s.path("defaults").path(task).asText(null))) return false;
            (s.get("defaults") instanceof ObjectNode d ? d : s.putObject("defaults")).put(task, m.name());
            (s.get(AUTOMATIC) instanceof ObjectNode a ? a : s.putObject(AUTOMATIC)).put(task, true);
            return true;
        });
    }

    /** A change to registry.json's object; returns whether it changed anything (else nothing is written). */
    @FunctionalInterface
    private interface SettingsEdit {
        boolean apply(ObjectNode settings) throws IOException;
    }

    /**
     * Read-modify-write of registry.json under {@link #lockSettings}: a pull recording its default
     * and a concurrent {@code models default} in another process must not overwrite each other.
     */
    private boolean editSettings(SettingsEdit edit) throws IOException {
        try (SettingsLock held = lockSettings()) {
            ObjectNode s = settings();
            if (!edit.apply(s)) return false;
            writeSettings(s);
            return true;
        }
    }

    /** Threads of this process queue on the lock object; processes on the file lock (which the JVM holds per process, not per thread). */
    private static final ReentrantLock SETTINGS_THREADS = new ReentrantLock();

    /** Held while registry.json is read, changed and written. */
    record SettingsLock(FileChannel channel) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            try {
                channel.close(); // releases the file lock
            } finally {
                SETTINGS_THREADS.unlock();
            }
        }
    }

    /** Waits for the exclusive right to change registry.json (package-private for tests that hold it). */
    SettingsLock lockSettings() throws IOException {
        SETTINGS_THREADS.lock();
        FileChannel channel = null;
        try {
            Path locks = Files.createDirectories(root.resolve(LOCKS));
            channel = FileChannel.open(locks.resolve(SETTINGS + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            channel.lock();
            return new SettingsLock(channel);
        } catch (IOException | RuntimeException e) {
            if (channel != null) channel.close();
            SETTINGS_THREADS.unlock();
            throw e;
        }
    }

    private void writeSettings(ObjectNode s) throws IOException {
        Files.createDirectories(root);
        Path tmp = Files.createTempFile(root, SETTINGS, ".tmp");
        try {
            Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s) + "\n");
            mmgp.io.FileModes.applyUmask(tmp);
            Files.move(tmp, root.resolve(SETTINGS), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw new IOException("cannot write " + root.resolve(SETTINGS) + ": " + e, e);
        }
    }

    /** Re-hashes every file the manifest lists and reports each one that is missing, resized or altered. */
    public VerificationReport verify(String name) throws IOException {
        return check(require(name), true);
    }

    /**
     * Checks the files of {@code m} against its manifest: presence and size always, content too
     * when {@code rehash} (reads every byte; the quick check suits listings).
     */
    public VerificationReport check(InstalledModel m, boolean rehash) throws IOException {
        String name = m.name();
        List<String> problems = new ArrayList<>();
        long bytes = 0;
        for (ModelManifest.InstalledFile f : m.manifest().files()) {
            Path p = m.folder().resolve(f.path());
            if (!Files.isRegularFile(p)) {
                problems.add(f.path() + ": missing");
                continue;
            }
            long size = Files.size(p);
            if (size != f.size()) {
                problems.add(f.path() + ": size " + size + " bytes, manifest says " + f.size());
                continue;
            }
            bytes += size;
            if (!rehash) continue;
            String sha = Checksums.sha256(p);
            if (!sha.equals(f.sha256())) problems.add(f.path() + ": sha256 " + sha + ", manifest says " + f.sha256());
        }
        return new VerificationReport(name, m.manifest().files().size(), bytes, problems);
    }

    /** A fresh folder under the registry (same file system, so installing is a rename) to build a model in. */
    public Path newStaging(String name) throws IOException {
        CatalogEntry.checkName(name);
        Path staging = root.resolve(STAGING);
        Files.createDirectories(staging);
        Path dir = Files.createTempDirectory(staging, name + "-");
        mmgp.io.FileModes.applyUmask(dir); // becomes the installed model's folder: owner-only would hide it from other accounts
        return dir;
    }

    /**
     * Removes what a killed pull of {@code name} left under {@code .staging} (its build and source
     * folders) and puts back a model that was moved aside for a replacement that never arrived.
     * Only for the holder of the pull lock of {@code name}: it deletes that name's staging folders.
     */
    public void cleanStaging(String name) throws IOException {
        CatalogEntry.checkName(name);
        Path staging = root.resolve(STAGING);
        if (!Files.isDirectory(staging)) return;
        // newStaging and Files.createTempDirectory name folders name + "-" + digits; other models' names cannot match.
        Pattern ours = Pattern.compile(Pattern.quote(name) + "-(source-)?\\d+");
        Pattern replaced = Pattern.compile(Pattern.quote(name) + "-replaced-\\d+");
        List<Path> leftovers;
        try (Stream<Path> s = Files.list(staging)) {
            leftovers = s.sorted().toList();
        }
        for (Path p : leftovers) {
            String folder = p.getFileName().toString();
            if (replaced.matcher(folder).matches() && !Files.exists(root.resolve(name)) && Files.exists(p.resolve(ModelManifest.FILE_NAME))) {
                move(p, root.resolve(name));
            } else if (ours.matcher(folder).matches() || replaced.matcher(folder).matches()) {
                deleteTree(p);
            }
        }
    }

    /**
     * Writes {@code manifest} into {@code staging} and renames the folder to {@code <root>/<name>}.
     * An installed model of the same name is replaced; it stays in place if the rename fails.
     * A distilled model may become its task's default ({@link #installModel} tells).
     */
    public InstalledModel install(Path staging, ModelManifest manifest) throws IOException {
        return installModel(staging, manifest).model();
    }

    /** {@link #install}, telling whether the model became its task's default and what went wrong recording that. */
    public Installation installModel(Path staging, ModelManifest manifest) throws IOException {
        if (!staging.toAbsolutePath().normalize().getParent().equals(root.resolve(STAGING))) {
            throw new IllegalArgumentException(staging + " is not a staging folder of " + root + " (use newStaging)");
        }
        for (ModelManifest.InstalledFile f : manifest.files()) {
            if (!Files.isRegularFile(staging.resolve(f.path()))) throw new NoSuchFileException(staging.resolve(f.path()).toString(), null, "listed in the manifest but not staged");
        }
        if (!Files.exists(staging.resolve(manifest.entry()))) throw new NoSuchFileException(staging.resolve(manifest.entry()).toString(), null, "the manifest's entry point is not staged");
        manifest.write(staging.resolve(ModelManifest.FILE_NAME));
        Path target = root.resolve(manifest.name());
        Path old = null;
        if (Files.exists(target)) {
            old = Files.createTempDirectory(root.resolve(STAGING), manifest.name() + "-replaced-");
            Files.delete(old);
            move(target, old);
        }
        try {
            move(staging, target);
        } catch (IOException e) {
            if (old != null) move(old, target);
            throw e;
        }
        if (old != null) deleteTree(old);
        InstalledModel model = load(target);
        try {
            return new Installation(model, preferDistilled(manifest), null);
        } catch (IOException e) {
            // The model is installed whatever registry.json says; the marker makes the next pull of it try again.
            Files.writeString(target.resolve(DEFAULT_PENDING), e.getMessage() + "\n");
            return new Installation(model, false, "could not record " + manifest.name() + " as the default " + manifest.task().label()
                    + " model (" + e.getMessage() + "); the next pull of it tries again, or choose it with mmgp models default "
                    + manifest.task().label() + " " + manifest.name());
        }
    }

    /**
     * An install: the model, whether it became its task's default, and why its default could not
     * be recorded (null when nothing went wrong); a failure there leaves the model installed.
     */
    public record Installation(InstalledModel model, boolean defaultChanged, String defaultProblem) {}

    /**
     * Records the default that {@link #installModel} could not record for {@code m}, if it left
     * that to do; an installation with no change when there was nothing pending.
     */
    public Installation retryPendingDefault(InstalledModel m) {
        Path marker = m.folder().resolve(DEFAULT_PENDING);
        if (!Files.exists(marker)) return new Installation(m, false, null);
        try {
            boolean changed = preferDistilled(m.manifest());
            Files.deleteIfExists(marker);
            return new Installation(m, changed, null);
        } catch (IOException e) {
            return new Installation(m, false, "could not record " + m.name() + " as the default " + m.manifest().task().label()
                    + " model (" + e.getMessage() + "); choose it with mmgp models default " + m.manifest().task().label() + " " + m.name());
        }
    }

    /** Deletes an installed model (and its place as a task's default, which would otherwise name a missing model). */
    public void remove(String name) throws IOException {
        InstalledModel m = require(name);
        editSettings(s -> {
            if (!(s.get("defaults") instanceof ObjectNode d) || !name.equals(d.path(m.manifest().task().label()).asText(null))) return false;
            d.remove(m.manifest().task().label());
            if (s.get(AUTOMATIC) instanceof ObjectNode a) a.remove(m.manifest().task().label());
            return true;
        });
        Files.createDirectories(root.resolve(STAGING));
        Path trash = Files.createTempDirectory(root.resolve(STAGING), name + "-removed-");
        Files.delete(trash);
        // Rename first so the model disappears at once, then delete at leisure.
        move(m.folder(), trash);
        deleteTree(trash);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename " + from + " to " + to + " atomically (different file systems?)", e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    private InstalledModel load(Path dir) throws IOException {
        ModelManifest m = ModelManifest.read(dir.resolve(ModelManifest.FILE_NAME));
        if (!m.name().equals(dir.getFileName().toString())) {
            throw new IOException(dir + ": the manifest names the model '" + m.name() + "', not the folder's name");
        }
        return new InstalledModel(dir, m);
    }

    private List<Path> modelFolders() throws IOException {
        if (!Files.isDirectory(root)) return List.of();
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(p -> Files.exists(p.resolve(ModelManifest.FILE_NAME))).sorted().toList();
        }
    }

    private ObjectNode settings() throws IOException {
        Path file = root.resolve(SETTINGS);
        if (!Files.isRegularFile(file)) return JSON.createObjectNode();
        try {
            return JSON.readTree(file.toFile()) instanceof ObjectNode o ? o : JSON.createObjectNode();
        } catch (IOException e) {
            throw new IOException("cannot parse " + file + ": " + e.getMessage(), e);
        }
    }

    private String installedMessage(String what) throws IOException {
        List<String> names = list().stream().map(InstalledModel::name).toList();
        return what + " in " + root + (names.isEmpty() ? " (none installed: mmgp pull <name>)" : "; installed: " + names);
    }
}
