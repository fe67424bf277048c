package mmgp.models.smolvlm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import mmgp.tensor.GgmlType;

/**
 * A SmolVLM2 Hugging Face folder given to a verb that runs GGUFs ({@code understand --model
 * <hf-folder>}) is converted once into {@code <registry>/.converted/} and reused while the
 * folder's files stay the same (same names, sizes and modification times): the second run starts
 * at once. The processor files are read from the Hugging Face folder itself.
 */
public final class SmolVlmConversionCache {
    static final String FOLDER = ".converted";

    private SmolVlmConversionCache() {}

    /**
     * The converted text GGUF and mmproj of {@code hfFolder}, converting to {@code type} on first
     * use ({@code onConvert} runs just before a conversion starts, e.g. to say so).
     */
    public static SmolVlmConverter.Output converted(Path hfFolder, Path registryRoot, GgmlType type, Runnable onConvert) throws IOException {
        Path target = registryRoot.resolve(FOLDER).resolve("smolvlm-" + key(hfFolder, type));
        Path done = target.resolve("DONE");
        if (Files.isRegularFile(done)) {
            List<String> names = Files.readAllLines(done, StandardCharsets.UTF_8);
            if (names.size() == 2 && Files.isRegularFile(target.resolve(names.get(0))) && Files.isRegularFile(target.resolve(names.get(1)))) {
                return new SmolVlmConverter.Output(target.resolve(names.get(0)), target.resolve(names.get(1)));
            }
        }
        onConvert.run();
        Files.createDirectories(target.getParent());
        Path staging = Files.createTempDirectory(target.getParent(), target.getFileName() + ".partial-");
        try {
            SmolVlmConverter.Output out = SmolVlmConverter.convert(hfFolder, staging, type);
            Files.writeString(staging.resolve("DONE"), staging.relativize(out.textModel()) + "\n" + staging.relativize(out.mmproj()) + "\n");
            if (Files.exists(target)) deleteTree(target); // an unfinished or stale earlier attempt
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            mmgp.io.FileModes.applyUmask(target);
            return new SmolVlmConverter.Output(target.resolve(staging.relativize(out.textModel()).toString()),
                    target.resolve(staging.relativize(out.mmproj()).toString()));
        } finally {
            if (Files.exists(staging)) deleteTree(staging);
        }
    }

    /** A digest of the folder's absolute path, its files' names, sizes and modification times, and the type. */
    static String key(Path hfFolder, GgmlType type) throws IOException {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(hfFolder.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
            d.update(type.name().getBytes(StandardCharsets.UTF_8));
            try (Stream<Path> files = Files.list(hfFolder)) {
                for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                    d.update((f.getFileName() + ":" + Files.size(f) + ":" + Files.getLastModifiedTime(f).toMillis() + ";").getBytes(StandardCharsets.UTF_8));
                }
            }
            return HexFormat.of().formatHex(d.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
