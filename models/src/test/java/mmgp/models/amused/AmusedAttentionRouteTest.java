package mmgp.models.amused;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.kernels.AttentionKernel;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Numerics;
import mmgp.graph.WeightSet;
import mmgp.convert.HfCheckpoint;
import org.junit.jupiter.api.Test;

/**
 * The aMUSEd UViT and CLIP text encoder golden cases under {@link Numerics#FAST} with either
 * attention route ({@code mmgp.attention=mmgp|ggml}), as relative RMS against the fp32 goldens.
 */
class AmusedAttentionRouteTest {
    @Test
    void bothRoutesStayCloseToTheFp32Goldens() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        assumeTrue(AttentionKernel.available(), "the kernels library has no attention op");
        UVit2DGoldenTest.Golden gold = UVit2DGoldenTest.golden();
        ClipTextEncoderGoldenTest.Golden clip = ClipTextEncoderGoldenTest.golden();
        Map<String, double[]> errors = new LinkedHashMap<>();
        for (String route : AttentionRoutes.ROUTES) {
            AttentionRoutes.with(route, () -> {
                try (ComputeBackend backend = ComputeBackend.cpu(2, Numerics.FAST);
                     HfCheckpoint ckpt = HfCheckpoint.open(UVit2DGoldenTest.FIXTURE.resolve("checkpoint"));
                     WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
                    UVit2D model = new UVit2D(UVit2DConfig.from(ckpt.component("transformer").config()), weights, "transformer.");
                    float[] logits = model.forward(backend, gold.ids(), gold.encoderHidden(), gold.pooled(), gold.microConds(), gold.batch(), gold.height(), gold.width());
                    ClipTextEncoder encoder = new ClipTextEncoder(ClipTextConfig.from(ckpt.component("text_encoder").config()), weights, "text_encoder.");
                    ClipTextEncoder.Result r = encoder.encode(backend, clip.ids());
                    errors.put(route, new double[] {AttentionRoutes.relativeRms(logits, gold.expected().get("logits")),
                        AttentionRoutes.relativeRms(r.lastHidden(), clip.tensors().get("last_hidden_state"))});
                }
            });
        }
        for (var e : errors.entrySet()) {
            System.out.printf("aMUSEd fixture, fast, attention %s vs fp32 goldens, relative RMS: uvit logits %.2e, clip last_hidden_state %.2e%n",
                    e.getKey(), e.getValue()[0], e.getValue()[1]);
        }
        AttentionRoutes.assertNoWorse(errors);
    }
}
