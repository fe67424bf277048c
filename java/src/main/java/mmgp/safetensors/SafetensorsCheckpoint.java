package mmgp.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A checkpoint that may be split across several safetensors files, seen as one set of tensors. It opens
 * a single file, or a folder holding either a {@code *.safetensors.index.json} (Hugging Face sharding:
 * {@code weight_map} maps each tensor to its shard), a {@code model.safetensors}, or otherwise every
 * {@code *.safetensors} in it. Each shard is mapped once and closed with the checkpoint.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {

    /** The name transformers uses; diffusers uses {@code diffusion_pytorch_model.safetensors.index.json}. */
    public static final String DEFAULT_INDEX = "model.safetensors.index.json";
    public static final String DEFAULT_SINGLE_FILE = "model.safetensors";

    private final List<Path> files;
    private final List<SafetensorsFile> opened;
    private final Map<String, SafetensorsFile> fileByTensor;
    private final Map<String, String> metadata;

    private SafetensorsCheckpoint(List<Path> files, List<SafetensorsFile> opened,
                                  Map<String, SafetensorsFile> fileByTensor, Map<String, String> metadata) {
        this.files = List.copyOf(files);
        this.opened = List.copyOf(opened);
        this.fileByTensor = Collections.unmodifiableMap(fileByTensor);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /** Opens a safetensors file, or a checkpoint folder as described in the class comment. */
    public static SafetensorsCheckpoint open(Path fileOrFolder) throws IOException {
        if (!Files.isDirectory(fileOrFolder)) {
            return fromFiles(List.of(fileOrFolder));
        }
        Optional<Path> index = findIndex(fileOrFolder);
        if (index.isPresent()) {
            return fromIndex(index.get());
        }
        Path single = fileOrFolder.resolve(DEFAULT_SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            return fromFiles(List.of(single));
        }
        List<Path> all = listMatching(fileOrFolder, "*.safetensors");
        if (all.isEmpty()) {
            throw new SafetensorsFormatException(fileOrFolder + " holds no " + DEFAULT_INDEX
                    + ", no " + DEFAULT_SINGLE_FILE + " and no *.safetensors files");
        }
        return fromFiles(all);
    }

    private static Optional<Path> findIndex(Path folder) throws IOException {
        Path preferred = folder.resolve(DEFAULT_INDEX);
        if (Files.isRegularFile(preferred)) {
            return Optional.of(preferred);
        }
        List<Path> indexes = listMatching(folder, "*.safetensors.index.json");
        if (indexes.size() > 1) {
            throw new SafetensorsFormatException(folder + " holds several index files " + indexes
                    + "; open one of them explicitly with fromIndex");
        }
        return indexes.stream().findFirst();
    }

    private static List<Path> listMatching(Path folder, String glob) throws IOException {
        List<Path> matches = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(folder, glob)) {
            for (Path p : stream) {
                if (Files.isRegularFile(p)) {
                    matches.add(p);
                }
            }
        }
        Collections.sort(matches); // shard order must not depend on the file system
        return matches;
    }

    /**
     * Opens the shards an index names. Every {@code weight_map} entry must name a file inside the index's
     * folder that holds that tensor; tensors the shards hold but the index does not list are left out,
     * since the index is authoritative.
     */
    public static SafetensorsCheckpoint fromIndex(Path indexFile) throws IOException {
        long size = Files.size(indexFile);
        if (size > SafetensorsHeaderParser.MAX_HEADER_BYTES) {
            throw new SafetensorsFormatException(indexFile + " is " + size + " bytes, over the "
                    + SafetensorsHeaderParser.MAX_HEADER_BYTES + "-byte limit for an index");
        }
        JsonNode root = StrictJson.parse(Files.readAllBytes(indexFile), indexFile + " JSON", 0);
        JsonNode weightMap = root.get("weight_map");
        if (!root.isObject() || weightMap == null || !weightMap.isObject()) {
            throw new SafetensorsFormatException(indexFile + " must be an object with a \"weight_map\" object, got "
                    + (root.isObject() ? StrictJson.kind(weightMap) + " weight_map" : StrictJson.kind(root)));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        JsonNode meta = root.get("metadata");
        if (meta != null && meta.isObject()) {
            // index metadata carries numbers such as total_size; keep their JSON text
            meta.properties().forEach(e -> metadata.put(e.getKey(), e.getValue().isTextual() ? e.getValue().textValue() : e.getValue().toString()));
        }

        Path folder = indexFile.toAbsolutePath().getParent();
        Map<String, Path> shardByTensor = new LinkedHashMap<>();
        Map<Path, Path> shards = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : weightMap.properties()) {
            JsonNode shardName = entry.getValue();
            if (!shardName.isTextual()) {
                throw new SafetensorsFormatException(indexFile + " weight_map entry '" + entry.getKey()
                        + "' must name a file, got " + StrictJson.kind(shardName));
            }
            Path shard = folder.resolve(shardName.textValue()).normalize();
            if (!shard.startsWith(folder) || shard.equals(folder)) {
                throw new SafetensorsFormatException(indexFile + " weight_map entry '" + entry.getKey() + "' names \""
                        + shardName.textValue() + "\", which is outside the checkpoint folder");
            }
            shards.putIfAbsent(shard, shard);
            shardByTensor.put(entry.getKey(), shard);
        }

        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            Map<Path, SafetensorsFile> fileByShard = new LinkedHashMap<>();
            for (Path shard : shards.keySet()) {
                if (!Files.isRegularFile(shard)) {
                    throw new SafetensorsFormatException(indexFile + " names shard " + shard.getFileName()
                            + ", which does not exist");
                }
                SafetensorsFile file = SafetensorsFile.open(shard);
                opened.add(file);
                fileByShard.put(shard, file);
            }
            Map<String, SafetensorsFile> fileByTensor = new LinkedHashMap<>();
            for (Map.Entry<String, Path> entry : shardByTensor.entrySet()) {
                SafetensorsFile file = fileByShard.get(entry.getValue());
                if (file.findTensor(entry.getKey()).isEmpty()) {
                    throw new SafetensorsFormatException(indexFile + " maps tensor '" + entry.getKey() + "' to "
                            + entry.getValue().getFileName() + ", which does not contain it");
                }
                fileByTensor.put(entry.getKey(), file);
            }
            return new SafetensorsCheckpoint(new ArrayList<>(shards.keySet()), opened, fileByTensor, metadata);
        } catch (IOException | RuntimeException | Error e) {
            opened.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    /** Opens these files as one checkpoint; a tensor name appearing in two of them is an error. */
    public static SafetensorsCheckpoint fromFiles(List<Path> paths) throws IOException {
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            Map<String, SafetensorsFile> fileByTensor = new LinkedHashMap<>();
            Map<String, Path> pathByTensor = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Path path : paths) {
                SafetensorsFile file = SafetensorsFile.open(path);
                opened.add(file);
                file.metadata().forEach(metadata::putIfAbsent);
                for (SafetensorsTensorInfo t : file.tensors()) {
                    Path earlier = pathByTensor.putIfAbsent(t.name(), path);
                    if (earlier != null) {
                        throw new SafetensorsFormatException("tensor '" + t.name() + "' appears in both "
                                + earlier.getFileName() + " and " + path.getFileName());
                    }
                    fileByTensor.put(t.name(), file);
                }
            }
            return new SafetensorsCheckpoint(paths, opened, fileByTensor, metadata);
        } catch (IOException | RuntimeException | Error e) {
            opened.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    /** The shard files, in the order they were opened. */
    public List<Path> files() {
        return files;
    }

    /** The index's {@code metadata}, or the files' {@code __metadata__} merged (first file wins). */
    public Map<String, String> metadata() {
        return metadata;
    }

    public Set<String> names() {
        return fileByTensor.keySet();
    }

    public Optional<SafetensorsTensorInfo> findTensor(String name) {
        SafetensorsFile file = fileByTensor.get(name);
        return file == null ? Optional.empty() : file.findTensor(name);
    }

    public SafetensorsTensorInfo tensor(String name) throws SafetensorsFormatException {
        return fileOf(name).tensor(name);
    }

    /** The shard holding {@code name}. */
    public SafetensorsFile fileOf(String name) throws SafetensorsFormatException {
        SafetensorsFile file = fileByTensor.get(name);
        if (file == null) {
            throw new SafetensorsFormatException("tensor '" + name + "' is not in the checkpoint (it has "
                    + fileByTensor.size() + " tensors in " + files.size() + " files)");
        }
        return file;
    }

    public MemorySegment data(String name) throws SafetensorsFormatException {
        return fileOf(name).data(name);
    }

    public float[] readFloats(String name) throws SafetensorsFormatException {
        return fileOf(name).readFloats(name);
    }

    public long[] readLongs(String name) throws SafetensorsFormatException {
        return fileOf(name).readLongs(name);
    }

    /** Unmaps every shard. */
    @Override
    public void close() {
        opened.forEach(SafetensorsFile::close);
    }
}
