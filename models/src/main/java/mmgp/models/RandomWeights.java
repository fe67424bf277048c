package mmgp.models;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import mmgp.convert.TensorEncoder;
import mmgp.convert.TensorNames;
import mmgp.convert.TypePolicy;
import mmgp.gguf.GgufWriter;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.tensor.GgmlType;

/**
 * Writes a GGUF with random weights of a real model's exact shapes, so speed and memory can be
 * measured without the checkpoint. The tensor list is not typed out per model: the model's own
 * components are built on a {@link WeightSet#recorder()} and every weight they read is written,
 * so the file always matches what the engine loads.
 */
public final class RandomWeights {
    private RandomWeights() {}

    /**
     * @param buildModel constructs the model's components on the given recorder
     * @param metadata   adds architecture, configs and tokenizer metadata
     */
    public static long write(Path out, TypePolicy policy, long seed, Consumer<WeightSet> buildModel, Consumer<GgufWriter> metadata) throws IOException {
        List<String> names = new ArrayList<>();
        List<long[]> shapes = new ArrayList<>();
        try (WeightSet recorder = WeightSet.recorder()) {
            buildModel.accept(recorder);
            for (Map.Entry<String, Tensor> e : recorder.all().entrySet()) {
                names.add(e.getKey());
                long[] ne = e.getValue().shape();
                int dims = 4;
                while (dims > 1 && ne[dims - 1] == 1) dims--;
                shapes.add(java.util.Arrays.copyOf(ne, dims));
            }
        }
        GgufWriter writer = new GgufWriter();
        metadata.accept(writer);
        writer.putString("mmgp.weight_type", policy.requested().name());
        writer.putString("general.description", "random weights of the real shapes (seed " + seed + "), for benchmarks only");
        List<String> longNames = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            long[] ne = shapes.get(i);
            GgmlType type = policy.typeFor(name, ne);
            String stored = TensorNames.shorten(name);
            if (!stored.equals(name)) {
                longNames.add(stored);
                longNames.add(name);
            }
            long rows = 1;
            for (int d = 1; d < ne.length; d++) rows *= ne[d];
            long rowLength = ne[0], finalRows = rows;
            // Norm scales near 1, everything else N(0, 0.02) as the usual init: activations stay finite.
            boolean scale = ne.length == 1 && (name.contains("norm") || name.endsWith(".gamma") || name.endsWith("latents_std"));
            // LTX's learned decode-timestep multiplier is ≈1000 in the released weights.
            float offset = name.endsWith("timestep_scale_multiplier") ? 1000f : scale ? 1f : 0f;
            long tensorSeed = seed * 31 + name.hashCode();
            writer.addTensor(stored, type, ne, target -> {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment f32 = arena.allocate(finalRows * rowLength * 4, 64);
                    SplittableRandom rnd = new SplittableRandom(tensorSeed);
                    for (long j = 0; j < finalRows * rowLength; j++) {
                        double v = rnd.nextGaussian() * 0.02;
                        f32.setAtIndex(ValueLayout.JAVA_FLOAT, j, (float) (offset + v));
                    }
                    TensorEncoder.encode(type, f32, finalRows, rowLength, target);
                }
            });
        }
        if (!longNames.isEmpty()) writer.putStringArray(TensorNames.LONG_NAMES_KEY, longNames);
        return writer.write(out);
    }
}
