package mmgp.registry;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.ToLongFunction;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import mmgp.convert.ConversionPlan;
import mmgp.convert.HfCheckpoint;
import mmgp.convert.ModelConverter;
import mmgp.convert.TypePolicy;
import mmgp.tensor.GgmlType;

/**
 * {@code mmgp pull}: resolve the revision to a commit → download the files the model family needs
 * (resumable, verified) → convert them with the family's converter into a staging folder → hash
 * the outputs into a manifest → rename the folder into the registry. Downloads are kept when a
 * later step fails, so the next run resumes instead of starting over.
 */
public final class ModelPuller {
    /** What a pull did: the installed model, whether it was already up to date, and the bytes fetched. */
    /**
     * What a pull did: the installed model, whether it was already up to date, the bytes fetched,
     * whether the model became its task's default, and why that could not be recorded (null when
     * it could: the model is installed either way).
     */
    public record Result(InstalledModel model, boolean upToDate, long downloadedBytes, double seconds, boolean defaultChanged, String defaultProblem) {}

    private final ModelRegistry registry;
    private final HubClient hub;
    private final PullListener listener;
    /** Free bytes at a path; replaceable so tests can simulate a small disk. */
    private ToLongFunction<Path> freeSpace = DiskSpaceException::usableSpace;

    public ModelPuller(ModelRegistry registry, HubClient hub, PullListener listener) {
        this.registry = registry;
        this.hub = hub;
        this.listener = listener;
    }

    /** Uses {@code free} instead of the file system's free space (tests of the disk-space check). */
    ModelPuller withFreeSpace(ToLongFunction<Path> free) {
        this.freeSpace = free;
        return this;
    }

    /**
     * Pulls {@code entry} converted to {@code type}.
     *
     * @param keepDownload keep the downloaded checkpoint after installing (else it is deleted)
     * @param force        pull and convert again even when the same source files (by sha256) and type are installed
     * @throws IllegalArgumentException when the family's converter cannot write {@code type}, before any network access
     */
    public Result pull(CatalogEntry entry, GgmlType type, boolean keepDownload, boolean force) throws IOException {
        entry.family().requireType(type);
        Path locks = Files.createDirectories(registry.root().resolve(ModelRegistry.LOCKS));
        // The name guards the install and its staging folders; the repository guards the download
        // folder, which two names pulling one repository share (same .part files).
        try (PullLock byName = PullLock.acquire(locks.resolve(entry.name() + ".lock"), "pull of " + entry.name());
             PullLock byRepo = PullLock.acquire(locks.resolve(entry.repo().replace('/', '+') + ".repo.lock"), "pull from " + entry.repo());
             PullLock bySharedRepo = sharedLock(locks, entry)) {
            registry.cleanStaging(entry.name()); // what a killed pull of this name left behind
            return pullLocked(entry, type, keepDownload, force);
        }
    }

    /** The lock of the shared files' repository (another model may be downloading them), or null when the family has none. */
    private static PullLock sharedLock(Path locks, CatalogEntry entry) throws IOException {
        ModelFamily.SharedFiles shared = entry.family().shared();
        if (shared == null || shared.repo().equals(entry.repo())) return null;
        return PullLock.acquire(locks.resolve(shared.repo().replace('/', '+') + ".repo.lock"), "pull from " + shared.repo());
    }

    /**
     * An exclusive lock on a file of {@code .locks}. The OS releases it when the process dies, so a
     * lock file left by a killed pull blocks nothing; the file itself stays (deleting it could let
     * two pulls lock two different files of the same name).
     */
    private record PullLock(FileChannel channel) implements AutoCloseable {
        static PullLock acquire(Path file, String what) throws IOException {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
            if (lock == null) {
                channel.close();
                throw new IOException("another " + what + " is running (it holds " + file + ")");
            }
            return new PullLock(channel);
        }

        @Override
        public void close() throws IOException {
            channel.close(); // releases the lock
        }
    }

    private Result pullLocked(CatalogEntry entry, GgmlType type, boolean keepDownload, boolean force) throws IOException {
        long t0 = System.nanoTime();
        ModelConverter converter = converterFor(entry);
        listener.phase("resolving", entry.repo() + "@" + entry.revision() + " at " + hub.endpoint());
        String commit = hub.resolveCommit(entry.repo(), entry.revision());
        ModelFamily.SharedFiles shared = entry.family().shared();
        String sharedCommit = shared == null ? null : hub.resolveCommit(shared.repo(), shared.revision());
        String typeLabel = type.name().toLowerCase(Locale.ROOT);
        Optional<InstalledModel> installed = force ? Optional.empty() : registry.find(entry.name());
        if (installed.isPresent() && sameCommits(installed.get().manifest(), entry, commit, shared, sharedCommit, typeLabel)) {
            return upToDate(installed.get(), t0);
        }
        List<HubFile> files = needed(entry.repo(), commit, entry.family().files(), entry.family().converter());
        List<HubFile> sharedFiles = shared == null ? List.of() : needed(shared.repo(), sharedCommit, shared.files(), entry.family().converter());
        // A branch moves with every commit to the repository, most of which leave these files alone:
        // the same content is up to date whatever the commit.
        if (installed.isPresent() && sameContent(installed.get().manifest(), entry, files, shared, sharedFiles, typeLabel)) {
            return upToDate(installed.get(), t0);
        }
        Path downloadDir = adoptSuperseded(entry.repo(), commit);
        Path sharedDir = shared == null ? null : adoptSuperseded(shared.repo(), sharedCommit);
        requireSpace(entry, files, downloadDir, sharedFiles, sharedDir, type);
        Downloaded downloaded = download(entry.repo(), commit, files, downloadDir);
        Downloaded sharedDownload = shared == null ? null : download(shared.repo(), sharedCommit, sharedFiles, sharedDir);

        Path staging = registry.newStaging(entry.name());
        Path view = null;
        boolean installedNow = false;
        try {
            view = sourceView(entry.name(), downloadDir);
            String entryPoint = convert(converter, view, staging, entry, commit, sharedDir, type);
            for (String companion : entry.family().companionFiles()) {
                Path src = downloadDir.resolve(companion);
                if (Files.isRegularFile(src) && !Files.exists(staging.resolve(companion))) Files.copy(src, staging.resolve(companion));
            }
            listener.phase("installing", "hashing the converted files");
            List<ModelManifest.Source> sharedSources = shared == null ? List.of()
                    : List.of(new ModelManifest.Source(shared.repo(), sharedCommit, sharedDownload.files()));
            ModelManifest manifest = new ModelManifest(entry.name(), entry.family().task(), entry.family().converter(), entryPoint, typeLabel,
                    Instant.now(), new ModelManifest.Source(entry.repo(), commit, downloaded.files()), hashOutputs(staging), entry.defaults(), sharedSources);
            ModelRegistry.Installation done = registry.installModel(staging, manifest);
            installedNow = true;
            if (!keepDownload) deleteDownload(entry, files, downloadDir);
            if (sharedDir != null) {
                // Kept whatever --keep-download says: the next model built on the same files converts without downloading them again.
                listener.phase("installed", "the files shared with other models stay in " + sharedDir + " ("
                        + DiskSpaceException.human(sharedFiles.stream().mapToLong(HubFile::size).sum()) + "; delete the folder to reclaim the space)");
            }
            long bytes = downloaded.bytes() + (sharedDownload == null ? 0 : sharedDownload.bytes());
            return new Result(done.model(), false, bytes, seconds(t0), done.defaultChanged(), done.defaultProblem());
        } finally {
            if (!installedNow) ModelRegistry.deleteTree(staging);
            if (view != null) ModelRegistry.deleteTree(view.getParent());
        }
    }

    private Result upToDate(InstalledModel m, long t0) {
        ModelRegistry.Installation retried = registry.retryPendingDefault(m); // an earlier pull installed it but could not record its default
        return new Result(m, true, 0, seconds(t0), retried.defaultChanged(), retried.defaultProblem());
    }

    /** Whether the installed model was converted to this type from these very commits (then no file list is needed). */
    private static boolean sameCommits(ModelManifest m, CatalogEntry entry, String commit, ModelFamily.SharedFiles shared, String sharedCommit, String type) {
        if (!m.source().repo().equals(entry.repo()) || !m.source().revision().equals(commit) || !type.equals(m.weightType())) return false;
        if (shared == null) return m.shared().isEmpty();
        return m.shared().size() == 1 && m.shared().getFirst().repo().equals(shared.repo()) && m.shared().getFirst().revision().equals(sharedCommit);
    }

    /** Whether the installed model was converted to this type from files with the content of {@code files} and {@code sharedFiles}. */
    private static boolean sameContent(ModelManifest m, CatalogEntry entry, List<HubFile> files, ModelFamily.SharedFiles shared,
                                       List<HubFile> sharedFiles, String type) {
        if (!m.source().repo().equals(entry.repo()) || !type.equals(m.weightType()) || !sameFiles(m.source(), files)) return false;
        if (shared == null) return m.shared().isEmpty();
        return m.shared().size() == 1 && m.shared().getFirst().repo().equals(shared.repo()) && sameFiles(m.shared().getFirst(), sharedFiles);
    }

    private static boolean sameFiles(ModelManifest.Source recorded, List<HubFile> now) {
        if (recorded.files().size() != now.size()) return false;
        Map<String, ModelManifest.SourceFile> byPath = new HashMap<>();
        for (ModelManifest.SourceFile f : recorded.files()) byPath.put(f.path(), f);
        return now.stream().allMatch(f -> byPath.containsKey(f.path()) && byPath.get(f.path()).sameContentAs(f));
    }

    /**
     * The download folder of {@code repo} at {@code commit}. When it does not exist but a folder of
     * an earlier commit does (a kept download, or files shared with other models), the newest such
     * folder is renamed to it: its unchanged files then verify without a transfer and only changed
     * ones are fetched; older commits' folders are deleted rather than left behind forever.
     * Callers hold the repository's lock.
     */
    private Path adoptSuperseded(String repo, String commit) throws IOException {
        Path repoDir = registry.downloads().resolve(repo);
        Path dir = repoDir.resolve(commit);
        if (!Files.isDirectory(repoDir)) return dir;
        List<Path> earlier;
        try (Stream<Path> s = Files.list(repoDir)) {
            earlier = s.filter(p -> !p.equals(dir) && Files.isDirectory(p) && COMMIT.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparing(ModelPuller::modified).reversed()).toList();
        }
        for (Path old : earlier) {
            if (!Files.exists(dir)) {
                listener.phase("downloading", "reusing the files of " + repo + "@" + old.getFileName().toString().substring(0, 12)
                        + " for " + commit.substring(0, Math.min(12, commit.length())));
                Files.move(old, dir, StandardCopyOption.ATOMIC_MOVE);
            } else {
                ModelRegistry.deleteTree(old);
            }
        }
        return dir;
    }

    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    /**
     * Refuses the pull before anything is fetched when the disk cannot hold what is still to
     * download plus the converted model, which is written while the downloads are still on disk.
     */
    private void requireSpace(CatalogEntry entry, List<HubFile> files, Path downloadDir, List<HubFile> sharedFiles, Path sharedDir, GgmlType type)
            throws IOException {
        long downloads = missing(files, downloadDir) + (sharedDir == null ? 0 : missing(sharedFiles, sharedDir));
        long output = OutputEstimate.of(files, downloadDir, type) + (sharedDir == null ? 0 : OutputEstimate.of(sharedFiles, sharedDir, type));
        Path where = Files.createDirectories(registry.downloads());
        DiskSpaceException.require(where, downloads + output, freeSpace.applyAsLong(where),
                "pulling " + entry.name() + " (" + DiskSpaceException.human(downloads) + " still to download + about "
                        + DiskSpaceException.human(output) + " of converted " + type.name().toLowerCase(Locale.ROOT) + " model)");
    }

    /**
     * Deletes the files this pull downloaded into {@code dir}, except those another installed model
     * lists as its shared files from this repository (the same folder holds them: 0.9.5's text
     * encoder is the distilled model's), then the folders that leaves empty, up to .downloads
     * itself. Other files stay: a download kept by another name of the same repository (one repository, one folder per commit).
     */
    private void deleteDownload(CatalogEntry entry, List<HubFile> files, Path dir) throws IOException {
        Set<String> keep = new HashSet<>();
        for (InstalledModel m : registry.list()) {
            if (m.name().equals(entry.name())) continue;
            for (ModelManifest.Source s : m.manifest().shared()) {
                if (s.repo().equals(entry.repo())) s.files().forEach(f -> keep.add(f.path()));
            }
        }
        Set<Path> parents = new HashSet<>();
        int kept = 0;
        for (HubFile f : files) {
            if (keep.contains(f.path())) {
                kept++;
                continue;
            }
            Path p = dir.resolve(f.path());
            Files.deleteIfExists(p);
            Files.deleteIfExists(p.resolveSibling(p.getFileName() + ResumableDownload.PART_SUFFIX));
            for (Path q = p.getParent(); q != null && q.startsWith(dir); q = q.getParent()) parents.add(q);
        }
        if (kept > 0) listener.phase("installed", "kept " + kept + " files other installed models share in " + dir);
        // deepest first, so a folder is tried after its subfolders
        for (Path p : parents.stream().sorted(Comparator.comparingInt(Path::getNameCount).reversed()).toList()) {
            if (Files.isDirectory(p) && !p.equals(dir)) deleteIfEmpty(p);
        }
        for (Path p = dir; p != null && p.startsWith(registry.downloads()); p = p.getParent()) {
            if (!Files.isDirectory(p) || !deleteIfEmpty(p)) break;
        }
    }

    private static boolean deleteIfEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            if (s.findAny().isPresent()) return false;
        }
        Files.delete(dir);
        return true;
    }

    /** The files of {@code repo} at {@code commit} that match {@code patterns}; an error when none do. */
    private List<HubFile> needed(String repo, String commit, FilePatterns patterns, String converter) throws IOException {
        List<HubFile> files = hub.listFiles(repo, commit).stream().filter(f -> patterns.matches(f.path())).toList();
        if (files.isEmpty()) {
            throw new IOException(repo + "@" + commit + " has no files a " + converter + " model needs (looked for "
                    + patterns.includes() + "); is this the right repository and --family?");
        }
        return files;
    }

    /** The family's converter, or an error naming what is missing from this build. */
    private static ModelConverter converterFor(CatalogEntry entry) throws IOException {
        boolean present = ModelConverter.available().stream().anyMatch(c -> c.id().equals(entry.family().converter()));
        if (!present) {
            throw new IOException("cannot pull " + entry.name() + ": it needs the '" + entry.family().converter()
                    + "' converter, which this build does not have (it comes with the mmgp-models module)");
        }
        return ModelConverter.byId(entry.family().converter());
    }

    /** The verified source files and how many bytes had to be transferred for them. */
    private record Downloaded(List<ModelManifest.SourceFile> files, long bytes) {}

    /** Bytes of {@code files} not yet in {@code dir}. */
    private static long missing(List<HubFile> files, Path dir) throws IOException {
        long remaining = 0;
        for (HubFile f : files) remaining += f.size() - ResumableDownload.onDisk(dir.resolve(f.path()), f.size());
        return remaining;
    }

    /** Fetches every file of {@code repo} into {@code dir}. */
    private Downloaded download(String repo, String commit, List<HubFile> files, Path dir) throws IOException {
        long total = files.stream().mapToLong(HubFile::size).sum(), remaining = missing(files, dir);
        Files.createDirectories(dir);
        DiskSpaceException.require(dir, remaining, freeSpace.applyAsLong(dir), "the download of " + repo);
        listener.phase("downloading", files.size() + " files, " + DiskSpaceException.human(total)
                + (remaining < total ? " (" + DiskSpaceException.human(total - remaining) + " already here)" : "") + " into " + dir);
        listener.downloadStarted(files.size(), total, total - remaining);
        List<ModelManifest.SourceFile> list = new ArrayList<>();
        for (HubFile f : files) {
            String sha256 = ResumableDownload.fetch(hub, repo, commit, f, dir.resolve(f.path()), listener);
            list.add(new ModelManifest.SourceFile(f.path(), f.size(), sha256, f.isLfs() ? null : f.gitOid()));
        }
        return new Downloaded(list, remaining);
    }

    /**
     * Converters name their outputs after the checkpoint folder, which is a commit sha here; a
     * link named after the model gives them the model's name. Without links, the sha it is.
     */
    private Path sourceView(String name, Path downloadDir) throws IOException {
        Path holder = registry.newStaging(name + "-source");
        try {
            return Files.createSymbolicLink(holder.resolve(name), downloadDir);
        } catch (UnsupportedOperationException | IOException e) {
            ModelRegistry.deleteTree(holder);
            return null;
        }
    }

    /**
     * Converts the checkpoint into {@code staging}; returns the entry point relative to it. A
     * one-file checkpoint ({@link ModelFamily#singleFile()}) is converted with the shared files in
     * {@code sharedDir} as its companion.
     */
    private String convert(ModelConverter converter, Path view, Path staging, CatalogEntry entry, String commit, Path sharedDir, GgmlType type)
            throws IOException {
        Path source = view != null ? view : registry.downloads().resolve(entry.repo()).resolve(commit);
        TypePolicy policy = new TypePolicy(type);
        converter.adjust(policy);
        listener.phase("converting", "with the " + converter.id() + " converter to " + type);
        String singleFile = entry.family().singleFile();
        try (HfCheckpoint ckpt = singleFile == null ? HfCheckpoint.open(source) : null) {
            if (converter.writesDirectory()) {
                converter.convertInto(ckpt, policy, staging);
                return ".";
            }
            String fileName = entry.name() + ".gguf";
            ConversionPlan plan = new ConversionPlan(policy);
            plan.metadata().putString("mmgp.converter", converter.id());
            plan.metadata().putString("mmgp.weight_type", type.name());
            plan.metadata().putString("mmgp.source.repo", entry.repo());
            plan.metadata().putString("mmgp.source.revision", commit);
            // before the converter: the entry's defaults win over any it would read from the checkpoint
            entry.defaults().writeTo(plan.metadata());
            try (AutoCloseable fileSources = singleFile == null ? null : converter.planFile(source.resolve(singleFile), sharedDir, plan)) {
                if (ckpt != null) converter.plan(ckpt, plan);
                plan.write(staging.resolve(fileName), item -> { });
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException("closing the sources of " + entry.name() + ": " + e.getMessage(), e);
            }
            return fileName;
        } catch (IOException e) {
            throw DiskSpaceException.onWriteFailure(staging, e);
        }
    }

    private static List<ModelManifest.InstalledFile> hashOutputs(Path staging) throws IOException {
        List<ModelManifest.InstalledFile> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(staging)) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                String rel = staging.relativize(p).toString().replace('\\', '/');
                String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
                String type = !name.endsWith(".gguf") ? "processor" : name.startsWith("mmproj") ? "projector" : "weights";
                out.add(new ModelManifest.InstalledFile(rel, Files.size(p), Checksums.sha256(p), type));
            }
        }
        return out;
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
