package mmgp.models;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import mmgp.models.amused.AmusedRandomWeights;
import mmgp.tensor.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mmgp random-weights --model amused --type q8_0 --out f.gguf}: a GGUF of the real shapes with random weights. */
@Command(name = "random-weights", mixinStandardHelpOptions = true,
        description = "Write a GGUF with the exact shapes of a real model and random weights, to measure speed and memory without the checkpoint.")
public final class RandomWeightsCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "amused (amused-256 shapes), ltx (LTX-Video 2B 0.9.0 shapes), ltx-095 (2B with the 0.9.5 VAE) or smolvlm (SmolVLM2-256M; OUT is a folder).")
    String model;

    @Option(names = "--type", defaultValue = "q8_0", description = "Weight matrix type: f32, f16, q8_0... (default ${DEFAULT-VALUE}).")
    String type;

    @Option(names = {"-o", "--out"}, required = true, description = "Output .gguf.")
    Path out;

    @Option(names = "--seed", defaultValue = "1")
    long seed;

    @Override
    public Integer call() throws Exception {
        GgmlType t = GgmlType.valueOf(type.toUpperCase(Locale.ROOT));
        long start = System.nanoTime();
        long bytes = switch (model) {
            case "amused" -> AmusedRandomWeights.write(out, t, seed);
            case "ltx" -> mmgp.models.ltx.LtxRandomWeights.write(out, t, seed, false);
            case "ltx-095" -> mmgp.models.ltx.LtxRandomWeights.write(out, t, seed, true);
            case "smolvlm" -> smolvlm(t);
            default -> throw new IllegalArgumentException("unknown model '" + model + "'; random weights exist for: amused, ltx, ltx-095, smolvlm");
        };
        System.out.printf("wrote %s: %.1f MiB in %.1f s%n", out, bytes / 1048576.0, (System.nanoTime() - start) / 1e9);
        return 0;
    }

    /** SmolVLM2 becomes two llama.cpp files, so OUT is a folder (the HF-layout random checkpoint goes beside it). */
    private long smolvlm(GgmlType t) throws Exception {
        java.nio.file.Path hf = java.nio.file.Files.createDirectories(out.resolveSibling(out.getFileName() + "-hf"));
        mmgp.models.smolvlm.SmolVlmRandomWeights.write(hf, out, t, seed);
        long bytes = 0;
        try (var files = java.nio.file.Files.list(out)) {
            for (java.nio.file.Path f : files.toList()) bytes += java.nio.file.Files.size(f);
        }
        return bytes;
    }
}
