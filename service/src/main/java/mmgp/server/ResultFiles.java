package mmgp.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import mmgp.api.ImageResult;
import mmgp.api.PipelineResult;
import mmgp.api.UnderstandResult;
import mmgp.api.VideoResult;
import mmgp.io.ResultSummary;
import mmgp.media.Frames;
import mmgp.media.VideoWriter;

/**
 * A job's files under data-dir/jobs/&lt;id&gt;/: the upload it came with and what it produced
 * (image.png, video.mp4, caption.txt, result.json). Downloads are limited to those four names and
 * to ids that parse as UUIDs, so no request can name any other file.
 */
public final class ResultFiles {
    static final String IMAGE = "image.png";
    static final String VIDEO = "video.mp4";
    static final String CAPTION = "caption.txt";
    static final String RESULT = "result.json";
    private static final Map<String, String> CONTENT_TYPES = Map.of(IMAGE, "image/png", VIDEO, "video/mp4",
            CAPTION, "text/plain; charset=utf-8", RESULT, "application/json");

    private final Path jobsDir;
    private final ObjectMapper json;
    private final PathScrubber scrubber;

    public ResultFiles(Path dataDir, ObjectMapper json) throws IOException {
        this.jobsDir = Files.createDirectories(dataDir.resolve("jobs"));
        this.json = json;
        this.scrubber = new PathScrubber(dataDir);
    }

    /** {@code text} without the server's paths (job files keep their bare names), for what clients see. */
    String scrubPaths(String text) {
        return scrubber.scrub(text);
    }

    /** The job's own folder (created). Only called with ids the server made or validated. */
    public Path dir(String id) throws IOException {
        return Files.createDirectories(jobsDir.resolve(requireUuid(id)));
    }

    /** The job's folder, not created (it may be gone after a sweep). */
    public Path jobDir(String id) {
        return jobsDir.resolve(requireUuid(id));
    }

    /** The file to send for GET …/result/{name}, if the job has it. */
    Optional<Path> download(String id, String name, List<String> produced) {
        if (!CONTENT_TYPES.containsKey(name) || !produced.contains(name)) return Optional.empty();
        Path p = jobsDir.resolve(requireUuid(id)).resolve(name);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    static String contentType(String name) {
        return CONTENT_TYPES.getOrDefault(name, "application/octet-stream");
    }

    /** Throws a 404 unless {@code id} is a UUID in its canonical form (no dots, slashes or other surprises). */
    static String requireUuid(String id) {
        try {
            if (id != null && id.length() == 36 && UUID.fromString(id).toString().equals(id.toLowerCase(java.util.Locale.ROOT))) return id.toLowerCase(java.util.Locale.ROOT);
        } catch (IllegalArgumentException e) {
            // not a UUID: answered below
        }
        throw ApiException.notFound("no request with id " + (id == null ? "null" : id.length() > 64 ? id.substring(0, 64) + "…" : id));
    }

    /**
     * Writes the result's files and returns their names; {@code summary} is what result.json holds.
     * Each file is written under a temporary name in the job's folder and then moved over its own
     * name in one step, so a download (or a cluster front end reading a folder a worker writes)
     * sees the old file or the new one, never a half-written one.
     */
    public List<String> write(String id, Object result, ObjectNode summary) throws IOException {
        Path dir = dir(id);
        List<String> names = new ArrayList<>();
        switch (result) {
            case UnderstandResult u -> writeCaption(dir, u, names);
            case ImageResult i -> writeImage(dir, i, names);
            case VideoResult v -> writeVideo(dir, v, names);
            case PipelineResult p -> {
                if (p.caption() != null) writeCaption(dir, p.caption(), names);
                if (p.image() != null) writeImage(dir, p.image(), names);
                if (p.video() != null) writeVideo(dir, p.video(), names);
            }
            default -> throw new IllegalArgumentException("unknown result type " + result.getClass().getName());
        }
        String text = json.writerWithDefaultPrettyPrinter().writeValueAsString(summary);
        replace(dir, RESULT, names, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
        return names;
    }

    private static void writeCaption(Path dir, UnderstandResult u, List<String> names) throws IOException {
        replace(dir, CAPTION, names, tmp -> Files.writeString(tmp, u.text(), StandardCharsets.UTF_8));
    }

    private static void writeImage(Path dir, ImageResult i, List<String> names) throws IOException {
        replace(dir, IMAGE, names, tmp -> Frames.writePng(tmp, i.rgb(), 0, i.height(), i.width()));
    }

    private static void writeVideo(Path dir, VideoResult v, List<String> names) throws IOException {
        replace(dir, VIDEO, names, tmp -> VideoWriter.writeMp4(tmp, v.rgb(), v.frames(), v.height(), v.width(), v.frameRate()));
    }

    @FunctionalInterface
    private interface FileWriter {
        void write(Path file) throws IOException;
    }

    /**
     * Writes {@code name} in {@code dir} through a temporary file of the same folder (same file
     * system, so the move is a rename; the same extension, for writers that go by it) and adds it to
     * {@code names}. The temporary file never survives a failure; downloads cannot name it.
     */
    private static void replace(Path dir, String name, List<String> names, FileWriter writer) throws IOException {
        Path tmp = dir.resolve(".tmp-" + UUID.randomUUID() + "-" + name);
        try {
            writer.write(tmp);
            try {
                Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                // a file system without atomic rename (some network shares): still never a partial file under the name being read
                Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        names.add(name);
    }

    /** The measurements of a result (no pixels): what GET /api/requests/{id} reports under "result". */
    public ObjectNode summarize(Object result) {
        return ResultSummary.of(json, result);
    }

    /** Ids of the job folders last modified before {@code cutoff} (names that are not UUIDs are left alone). */
    List<String> foldersModifiedBefore(java.time.Instant cutoff) throws IOException {
        List<String> ids = new ArrayList<>();
        try (Stream<Path> all = Files.list(jobsDir)) {
            for (Path p : all.filter(Files::isDirectory).toList()) {
                String name = p.getFileName().toString();
                if (!isUuid(name)) continue;
                if (Files.getLastModifiedTime(p).toInstant().isBefore(cutoff)) ids.add(name);
            }
        }
        return ids;
    }

    private static boolean isUuid(String name) {
        try {
            requireUuid(name);
            return true;
        } catch (ApiException e) {
            return false;
        }
    }

    /** Removes the job's folder and everything in it. */
    public void delete(String id) throws IOException {
        deleteTree(jobsDir.resolve(requireUuid(id)), true);
    }

    /**
     * The retention sweep of single-node and cluster mode alike: deletes the files and then the row
     * of every job of {@code store} that finished before {@code cutoff}; a job whose files cannot
     * be deleted keeps its row (the next sweep tries again). Returns how many were removed.
     */
    public int deleteFinished(JobStore store, java.time.Instant cutoff) {
        org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ResultFiles.class);
        int removed = 0;
        for (JobRecord r : store.finishedBefore(cutoff)) {
            try {
                delete(r.id());
                store.delete(r.id());
                removed++;
            } catch (IOException e) {
                log.warn("retention sweep could not delete the files of {}: {}", r.id(), e.toString());
            }
        }
        if (removed > 0) log.info("retention sweep removed {} finished requests", removed);
        return removed;
    }

    /** Deletes what {@code dir} holds, and {@code dir} itself when {@code andDir}; nothing when it does not exist. */
    static void deleteTree(Path dir, boolean andDir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                if (andDir || !p.equals(dir)) Files.deleteIfExists(p);
            }
        }
    }
}
