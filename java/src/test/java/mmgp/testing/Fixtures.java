package mmgp.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the shared model fixtures live: one copy, in the models module's test resources
 * ({@code models/src/test/resources/fixtures/<name>/checkpoint} and {@code golden/}), as
 * {@code ../shared/fixtures} lays them out. The model tests sit next to them; the engine's few
 * tests that replay a model's goldens (schedulers, the safetensors reader, pulls of a small HF
 * folder) find them here rather than keeping copies, from whichever module's folder the test runs in.
 */
public final class Fixtures {
    private static final Path UNDER_ROOT = Path.of("models", "src", "test", "resources", "fixtures");

    private Fixtures() {}

    /** The folder of all fixtures (the one holding amused/, ltx_video/, ...). */
    public static Path root() {
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(UNDER_ROOT);
            if (Files.isDirectory(candidate)) return candidate;
        }
        throw new IllegalStateException("no " + UNDER_ROOT + " in " + start + " or above it: the model fixtures live in the"
                + " models module's test resources; run the tests from inside the project checkout");
    }

    /** One fixture folder, e.g. {@code amused} or {@code ltx_video_095}; it must exist. */
    public static Path folder(String name) {
        Path folder = root().resolve(name);
        if (!Files.isDirectory(folder)) throw new IllegalStateException("no fixture folder " + folder);
        return folder;
    }

    /** A file of a fixture's {@code golden/} folder, e.g. {@code golden("amused", "e2e_cfg.safetensors")}; it must exist. */
    public static Path golden(String fixture, String file) {
        Path path = folder(fixture).resolve("golden").resolve(file);
        if (!Files.isRegularFile(path)) throw new IllegalStateException("no golden file " + path);
        return path;
    }

    /** A fixture's HF checkpoint folder. */
    public static Path checkpoint(String fixture) {
        return folder(fixture).resolve("checkpoint");
    }

    /**
     * A small HF folder holding only the aMUSEd text encoder ({@code model_index.json} and
     * {@code text_encoder/}), copied from the aMUSEd checkpoint into {@code dir}: the smallest real
     * checkpoint the engine's converter, weight-placement and pull tests can use without the model
     * code. Returns {@code dir}.
     */
    public static Path amusedTextEncoder(Path dir) {
        Path checkpoint = checkpoint("amused");
        try {
            Files.createDirectories(dir.resolve("text_encoder"));
            for (String file : new String[] {"model_index.json", "text_encoder/config.json", "text_encoder/model.safetensors"}) {
                Files.copy(checkpoint.resolve(file), dir.resolve(file));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the aMUSEd text encoder into " + dir, e);
        }
        return dir;
    }
}
