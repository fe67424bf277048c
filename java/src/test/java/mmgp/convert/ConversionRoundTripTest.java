package mmgp.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import mmgp.bindings.NativeLibraries;
import mmgp.gguf.GgufFile;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.gguf.TensorInfo;
import mmgp.safetensors.SafetensorsCheckpoint;
import mmgp.tensor.Dequantizer;
import mmgp.tensor.GgmlType;
import mmgp.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** HF checkpoint → GGUF → read back → dequantize: every tensor within its type's error bound. */
class ConversionRoundTripTest {

    @BeforeAll
    static void libs() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0"})
    void everyTensorRoundTripsWithinItsBound(GgmlType type, @TempDir Path tmp) throws Exception {
        Path checkpoint = Fixtures.amusedTextEncoder(tmp.resolve("checkpoint"));
        Path out = tmp.resolve("te.gguf");
        try (HfCheckpoint ckpt = HfCheckpoint.open(checkpoint)) {
            ConversionPlan plan = new ConversionPlan(new TypePolicy(type).minQuantizedElements(256));
            ModelConverter.byId("raw").plan(ckpt, plan);
            plan.write(out, item -> {});
        }
        int quantized = 0;
        try (GgufFile gguf = GgufFile.open(out);
             SafetensorsCheckpoint src = SafetensorsCheckpoint.open(checkpoint.resolve("text_encoder"))) {
            assertThat(gguf.getString("general.architecture")).isEqualTo("raw");
            assertThat(gguf.getString("mmgp.config.text_encoder")).contains("hidden_size");
            List<String> longNames = gguf.metadata().contains(TensorNames.LONG_NAMES_KEY) ? gguf.getStringArray(TensorNames.LONG_NAMES_KEY) : List.of();
            for (TensorInfo t : gguf.tensors()) {
                int li = longNames.indexOf(t.name());
                String full = li >= 0 ? longNames.get(li + 1) : t.name();
                String srcName = full.substring("text_encoder.".length());
                float[] expected = src.readFloats(srcName);
                float[] actual = Dequantizer.supports(t.type())
                        ? Dequantizer.dequantize(t.type(), gguf.data(t), t.elementCount())
                        : decodeWithGgml(t.type(), gguf.data(t), t.ne(0), t.elementCount() / t.ne(0));
                assertThat(actual).hasSize(expected.length);
                assertThat(t.shape()).isEqualTo(ConversionPlan.ggmlShape(src.tensor(srcName).shape()));
                if (t.type() != GgmlType.F32) quantized++;
                double bound = boundFor(t.type(), expected, (int) t.ne(0));
                for (int i = 0; i < expected.length; i++) {
                    double err = Math.abs(actual[i] - expected[i]);
                    double allowed = t.type() == GgmlType.F16 || t.type() == GgmlType.BF16 ? bound * Math.abs(expected[i]) + 1e-7 : bound;
                    if (t.type().isQuantized()) allowed = bound * rowMaxAbs(expected, i, (int) t.ne(0));
                    assertThat(err).as("%s[%d] as %s", t.name(), i, t.type()).isLessThanOrEqualTo(allowed);
                }
            }
        }
        if (type != GgmlType.F32) assertThat(quantized).as("matrices stored as %s", type).isGreaterThan(0);
    }

    /** Decodes rows of any ggml type through ggml itself: get_rows returns them as F32. */
    private static float[] decodeWithGgml(GgmlType type, java.lang.foreign.MemorySegment bytes, long rowLength, long rows) {
        try (ComputeBackend backend = ComputeBackend.cpu(1); Graph g = new Graph(backend, 16)) {
            Tensor table = g.input("table", type, rowLength, rows);
            Tensor ids = g.input("ids", GgmlType.I32, rows);
            Tensor out = g.output(g.getRows(table, ids));
            g.set(table, bytes);
            g.set(ids, java.util.stream.IntStream.range(0, (int) rows).toArray());
            g.compute();
            return g.floats(out);
        }
    }

    /** Relative bound for float types; for block types a fraction of the block's max |x| (half a quantization step). */
    private static double boundFor(GgmlType type, float[] x, int rowLength) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 0x1p-11;          // half an ulp of a 10-bit mantissa
            case BF16 -> 0x1p-8;          // half an ulp of a 7-bit mantissa
            // d = max/127, rounding error ≤ d/2, plus the fp16 rounding of d times |q| ≤ 127
            case Q8_0 -> (0.5 + 127 * 0x1p-11) / 127;
            // d = max/-8 on a 16-level grid: ≤ d/2 in general, a full d where +max saturates at code 7
            case Q4_0 -> (1 + 8 * 0x1p-11) / 8;
            default -> throw new IllegalArgumentException(type.name());
        };
    }

    /** max |x| over the 32-element quantization block that holds element i. */
    private static double rowMaxAbs(float[] x, int i, int rowLength) {
        int start = i - (i % rowLength) + ((i % rowLength) / 32) * 32;
        double m = 0;
        for (int j = start; j < start + 32 && j < x.length; j++) m = Math.max(m, Math.abs(x[j]));
        return m;
    }

    @Test
    void longNamesAreShortenedAndRecorded() {
        String full = "text_encoder.text_model.encoder.layers.11.self_attn.out_proj.weight.extra";
        String s = TensorNames.shorten(full);
        assertThat(s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).isLessThanOrEqualTo(63);
        assertThat(s).endsWith("out_proj.weight.extra");
        assertThat(TensorNames.shorten("short.weight")).isEqualTo("short.weight");
    }

    @Test
    void policyKeepsVectorsF32AndFallsBackWhenRowsDoNotSplitIntoBlocks() {
        TypePolicy p = new TypePolicy(GgmlType.Q8_0).minQuantizedElements(16);
        assertThat(p.typeFor("norm.weight", new long[] {4096})).isEqualTo(GgmlType.F32);
        assertThat(p.typeFor("w", new long[] {64, 64})).isEqualTo(GgmlType.Q8_0);
        assertThat(p.typeFor("w", new long[] {48 + 1, 64})).isEqualTo(GgmlType.F16);
        p.rule(".*embed.*", GgmlType.F16);
        assertThat(p.typeFor("token_embed.weight", new long[] {64, 64})).isEqualTo(GgmlType.F16);
    }

    @Test
    void badInputsGiveClearErrors(@TempDir Path tmp) throws Exception {
        assertThatThrownBy(() -> HfCheckpoint.open(tmp.resolve("missing"))).hasMessageContaining("missing");
        Files.writeString(tmp.resolve("config.json"), "{}");
        assertThatThrownBy(() -> HfCheckpoint.open(tmp)).hasMessageContaining("no safetensors weights");
        assertThatThrownBy(() -> ModelConverter.byId("nope")).hasMessageContaining("unknown model 'nope'").hasMessageContaining("raw");
        assertThatThrownBy(() -> new TypePolicy(GgmlType.IQ2_XXS)).hasMessageContaining("cannot write");
    }

    @Test
    void shapesFoldAboveFourDimensions() {
        assertThat(ConversionPlan.ggmlShape(new long[] {8, 4, 3, 3, 3})).containsExactly(3, 3, 3, 32);
        assertThat(ConversionPlan.ggmlShape(new long[] {5, 7})).containsExactly(7, 5);
        assertThat(ConversionPlan.ggmlShape(new long[] {})).containsExactly(1);
    }
}
