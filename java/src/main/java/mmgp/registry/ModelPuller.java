package mmgp.registry;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
    public record Result(InstalledModel model, boolean upToDate, long downloadedBytes, double seconds) {}

    private final ModelRegistry registry;
    private final HubClient hub;
    private final PullListener listener;

    public ModelPuller(ModelRegistry registry, HubClient hub, PullListener listener) {
        this.registry = registry;
        this.hub = hub;
        this.listener = listener;
    }

    /**
     * Pulls {@code entry} converted to {@code type}.
     *
     * @param keepDownload keep the downloaded checkpoint after installing (else it is deleted)
     * @param force        pull and convert again even when the same commit and type are installed
     * @throws IllegalArgumentException when the family's converter cannot write {@code type}, before any network access
     */
    public Result pull(CatalogEntry entry, GgmlType type, boolean keepDownload, boolean force) throws IOException {
        entry.family().requireType(type);
        Path locks = Files.createDirectories(registry.root().resolve(ModelRegistry.LOCKS));
        // The name guards the install and its staging folders; the repository guards the download
        // folder, which two names pulling one repository share (same .part files).
        try (PullLock byName = PullLock.acquire(locks.resolve(entry.name() + ".lock"), "pull of " + entry.name());
             PullLock byRepo = PullLock.acquire(locks.resolve(entry.repo().replace('/', '+') + ".repo.lock"), "pull from " + entry.repo())) {
            registry.cleanStaging(entry.name()); // what a killed pull of this name left behind
            return pullLocked(entry, type, keepDownload, force);
        }
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
        String typeLabel = type.name().toLowerCase(Locale.ROOT);
        if (!force) {
            var installed = registry.find(entry.name());
            if (installed.isPresent() && installed.get().manifest().source().repo().equals(entry.repo())
                    && installed.get().manifest().source().revision().equals(commit) && typeLabel.equals(installed.get().manifest().weightType())) {
                return new Result(installed.get(), true, 0, seconds(t0));
            }
        }
        List<HubFile> files = hub.listFiles(entry.repo(), commit).stream().filter(f -> entry.family().files().matches(f.path())).toList();
        if (files.isEmpty()) {
            throw new IOException(entry.repo() + "@" + commit + " has no files a " + entry.family().converter() + " model needs (looked for "
                    + entry.family().files().includes() + "); is this the right repository and --family?");
        }
        Path downloadDir = registry.downloads().resolve(entry.repo()).resolve(commit);
        Downloaded downloaded = download(entry, commit, files, downloadDir);

        Path staging = registry.newStaging(entry.name());
        Path view = null;
        boolean installed = false;
        try {
            view = sourceView(entry.name(), downloadDir);
            String entryPoint = convert(converter, view, staging, entry, commit, type);
            for (String companion : entry.family().companionFiles()) {
                Path src = downloadDir.resolve(companion);
                if (Files.isRegularFile(src) && !Files.exists(staging.resolve(companion))) Files.copy(src, staging.resolve(companion));
            }
            listener.phase("installing", "hashing the converted files");
            ModelManifest manifest = new ModelManifest(entry.name(), entry.family().task(), entry.family().converter(), entryPoint, typeLabel,
                    Instant.now(), new ModelManifest.Source(entry.repo(), commit, downloaded.files()), hashOutputs(staging), entry.defaults());
            InstalledModel model = registry.install(staging, manifest);
            installed = true;
            if (!keepDownload) deleteDownload(downloadDir);
            return new Result(model, false, downloaded.bytes(), seconds(t0));
        } finally {
            if (!installed) ModelRegistry.deleteTree(staging);
            if (view != null) ModelRegistry.deleteTree(view.getParent());
        }
    }

    /** The family's converter, or an error naming what is missing (e.g. the single-file LTX loader not yet in this build). */
    private static ModelConverter converterFor(CatalogEntry entry) throws IOException {
        boolean present = ModelConverter.available().stream().anyMatch(c -> c.id().equals(entry.family().converter()));
        if (!present) {
            throw new IOException("cannot pull " + entry.name() + ": it needs the '" + entry.family().converter()
                    + "' converter, which this build does not have" + (entry.family().shared() != null ? " (single-file LTX-Video checkpoints are not loadable yet)" : ""));
        }
        if (entry.family().shared() != null) {
            throw new IOException("cannot pull " + entry.name() + ": downloading its shared files from " + entry.family().shared().repo()
                    + " is not wired yet; download the checkpoint and convert it with mmgp convert");
        }
        return ModelConverter.byId(entry.family().converter());
    }

    /** The verified source files and how many bytes had to be transferred for them. */
    private record Downloaded(List<ModelManifest.SourceFile> files, long bytes) {}

    /** Fetches every file into {@code dir}. */
    private Downloaded download(CatalogEntry entry, String commit, List<HubFile> files, Path dir) throws IOException {
        long total = files.stream().mapToLong(HubFile::size).sum(), remaining = 0;
        for (HubFile f : files) remaining += f.size() - ResumableDownload.onDisk(dir.resolve(f.path()), f.size());
        Files.createDirectories(dir);
        DiskSpaceException.require(dir, remaining, "the download of " + entry.repo());
        listener.phase("downloading", files.size() + " files, " + DiskSpaceException.human(total)
                + (remaining < total ? " (" + DiskSpaceException.human(total - remaining) + " already here)" : "") + " into " + dir);
        listener.downloadStarted(files.size(), total, total - remaining);
        List<ModelManifest.SourceFile> list = new ArrayList<>();
        for (HubFile f : files) {
            String sha256 = ResumableDownload.fetch(hub, entry.repo(), commit, f, dir.resolve(f.path()), listener);
            list.add(new ModelManifest.SourceFile(f.path(), f.size(), sha256));
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

    /** Converts the checkpoint into {@code staging}; returns the entry point relative to it. */
    private String convert(ModelConverter converter, Path view, Path staging, CatalogEntry entry, String commit, GgmlType type) throws IOException {
        Path source = view != null ? view : registry.downloads().resolve(entry.repo()).resolve(commit);
        TypePolicy policy = new TypePolicy(type);
        converter.adjust(policy);
        listener.phase("converting", "with the " + converter.id() + " converter to " + type);
        try (HfCheckpoint ckpt = HfCheckpoint.open(source)) {
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
            entry.defaults().writeTo(plan.metadata());
            converter.plan(ckpt, plan);
            plan.write(staging.resolve(fileName), item -> { });
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

    /** Deletes a commit's download folder and the folders it leaves empty, up to .downloads itself. */
    private void deleteDownload(Path dir) throws IOException {
        ModelRegistry.deleteTree(dir);
        for (Path p = dir.getParent(); p != null && p.startsWith(registry.downloads()); p = p.getParent()) {
            try (Stream<Path> s = Files.list(p)) {
                if (s.findAny().isPresent()) break;
            }
            Files.delete(p);
        }
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
