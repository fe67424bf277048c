package mmgp.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import mmgp.models.amused.AmusedRandomWeights;
import mmgp.models.ltx.LtxRandomWeights;
import mmgp.models.smolvlm.SmolVlmRandomWeights;
import mmgp.tensor.GgmlType;

/**
 * Full-size random-weight models for the benchmark, cached in one folder (default
 * ~/.cache/mmgp/bench) and written on first use: aMUSEd-256, LTX-Video 2B with the 0.9.5 VAE, and the
 * SmolVLM2-256M folder (text GGUF + mmproj). Writing goes to a temporary name first, so an interrupted
 * generation never leaves a truncated file that a later run would trust.
 */
final class BenchWeights {
    private final Path folder;

    BenchWeights(Path folder) {
        this.folder = folder;
    }

    static Path defaultFolder() {
        return Path.of(System.getProperty("user.home"), ".cache", "mmgp", "bench");
    }

    /** The file (or SmolVLM folder) name of a model at a weight type, e.g. amused-256-q8_0.gguf. */
    static String fileName(String model, GgmlType type) {
        String t = type.name().toLowerCase(Locale.ROOT);
        return switch (model) {
            case "amused" -> "amused-256-" + t + ".gguf";
            case "ltx" -> "ltx-095-" + t + ".gguf";
            case "smolvlm" -> "smolvlm2-256m-" + t;
            default -> throw new IllegalArgumentException("unknown model '" + model + "' (amused, ltx or smolvlm)");
        };
    }

    /** The model's weights at this type, generated when missing. */
    Path get(String model, GgmlType type) throws IOException {
        Path target = folder.resolve(fileName(model, type));
        if (Files.exists(target)) return target;
        Files.createDirectories(folder);
        Path partial = folder.resolve(target.getFileName() + ".partial");
        System.err.printf("generating full-size random weights %s (once; this takes minutes for LTX)...%n", target);
        long t0 = System.nanoTime();
        switch (model) {
            case "amused" -> AmusedRandomWeights.write(partial, type, 1);
            case "ltx" -> LtxRandomWeights.write(partial, type, 1, true);
            case "smolvlm" -> {
                Path hf = folder.resolve(target.getFileName() + "-hf.partial");
                SmolVlmRandomWeights.write(hf, partial, type, 1);
                deleteTree(hf); // only the GGUFs are benchmarked; the HF copy is half a gigabyte
            }
            default -> throw new IllegalArgumentException("unknown model " + model);
        }
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        System.err.printf("wrote %s in %.0f s%n", target, (System.nanoTime() - t0) / 1e9);
        return target;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var files = Files.walk(p)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(f);
        }
    }
}
