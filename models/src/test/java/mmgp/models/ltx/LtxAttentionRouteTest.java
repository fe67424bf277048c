package mmgp.models.ltx;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.kernels.AttentionKernel;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Numerics;
import mmgp.graph.WeightSet;
import mmgp.convert.HfCheckpoint;
import mmgp.models.amused.AttentionRoutes;
import org.junit.jupiter.api.Test;

/**
 * The LTX transformer and T5 golden cases under {@link Numerics#FAST} with either attention route
 * ({@code mmgp.attention=mmgp}: mmgp's fused op; {@code ggml}: flash attention, F16 bias for T5),
 * as relative RMS against the fp32 goldens. The fused op computes in fp32 throughout, so its error
 * stays at the fp32 goldens' own level where the ggml route's F16 bias shows.
 */
class LtxAttentionRouteTest {
    @Test
    void bothRoutesStayCloseToTheFp32Goldens() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        assumeTrue(AttentionKernel.available(), "the kernels library has no attention op");
        LtxTransformerGoldenTest.Golden gold = LtxTransformerGoldenTest.golden();
        T5EncoderGoldenTest.Golden t5 = T5EncoderGoldenTest.golden();
        Map<String, double[]> errors = new LinkedHashMap<>();
        for (String route : AttentionRoutes.ROUTES) {
            AttentionRoutes.with(route, () -> {
                try (ComputeBackend backend = ComputeBackend.cpu(2, Numerics.FAST)) {
                    double[] e = new double[3];
                    try (HfCheckpoint ckpt = HfCheckpoint.open(LtxTransformerGoldenTest.FIXTURE.resolve("checkpoint"));
                         WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
                        LtxTransformer model = new LtxTransformer(LtxTransformerConfig.from(ckpt.component("transformer").config()), weights, "transformer.");
                        float[] sample = model.forward(backend, gold.hiddenStates(), gold.encoderHiddenStates(), gold.maskBits(), gold.timestep(), gold.batch(),
                                gold.frames(), gold.height(), gold.width(), LtxTransformerGoldenTest.ropeScale(gold));
                        e[0] = AttentionRoutes.relativeRms(sample, gold.expected().get("sample"));
                        T5Encoder encoder = new T5Encoder(T5Config.from(ckpt.component("text_encoder").config()), weights, "text_encoder.");
                        e[1] = AttentionRoutes.relativeRms(encoder.encode(backend, t5.ids(), null, false).lastHidden(), t5.tensors().get("last_hidden_state"));
                        e[2] = AttentionRoutes.relativeRms(encoder.encode(backend, t5.ids(), t5.mask(), false).lastHidden(), t5.tensors().get("last_hidden_state_with_mask"));
                    }
                    errors.put(route, e);
                }
            });
        }
        for (var e : errors.entrySet()) {
            System.out.printf("LTX fixture, fast, attention %s vs fp32 goldens, relative RMS: transformer sample %.2e, t5 %.2e, t5 masked %.2e%n",
                    e.getKey(), e.getValue()[0], e.getValue()[1], e.getValue()[2]);
        }
        AttentionRoutes.assertNoWorse(errors);
    }
}
