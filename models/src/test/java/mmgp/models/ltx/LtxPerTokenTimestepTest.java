package mmgp.models.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import mmgp.bindings.NativeLibraries;
import mmgp.convert.HfCheckpoint;
import mmgp.graph.ComputeBackend;
import mmgp.graph.WeightSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The transformer's per-token timestep path (image to video) against its per-row path on the same inputs. */
class LtxPerTokenTimestepTest {
    @BeforeAll
    static void libs() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
    }

    @Test
    void everyTokenAtItsRowTimestepIsThePerRowResultBitForBit() throws Exception {
        for (String fixture : new String[] {"ltx_video", "ltx_video_095"}) {
            LtxTransformerGoldenTest.Golden gold = golden(fixture);
            try (HfCheckpoint ckpt = HfCheckpoint.open(Path.of("src/test/resources/fixtures", fixture, "checkpoint"));
                 ComputeBackend backend = ComputeBackend.cpu(2);
                 WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
                LtxTransformer model = new LtxTransformer(LtxTransformerConfig.from(ckpt.component("transformer").config()), weights, "transformer.");
                int tokens = gold.tokens();
                float[] perToken = new float[gold.batch() * tokens];
                for (int i = 0; i < perToken.length; i++) perToken[i] = gold.timestep()[i / tokens];
                LtxTransformer.RopeScale scale = LtxTransformerGoldenTest.ropeScale(gold);
                float[] perRow = model.forward(backend, gold.hiddenStates(), gold.encoderHiddenStates(), gold.maskBits(), gold.timestep(),
                        gold.batch(), gold.frames(), gold.height(), gold.width(), scale);
                float[] viaTokens = model.forward(backend, gold.hiddenStates(), gold.encoderHiddenStates(), gold.maskBits(), perToken,
                        gold.batch(), gold.frames(), gold.height(), gold.width(), scale);
                assertThat(viaTokens).as(fixture).containsExactly(perRow);

                // A token at timestep 0 changes its own output, and through attention the others' too.
                float[] mixed = perToken.clone();
                mixed[0] = 0;
                float[] changed = model.forward(backend, gold.hiddenStates(), gold.encoderHiddenStates(), gold.maskBits(), mixed,
                        gold.batch(), gold.frames(), gold.height(), gold.width(), scale);
                int outC = model.config().outChannels();
                assertThat(java.util.Arrays.copyOfRange(changed, 0, outC)).isNotEqualTo(java.util.Arrays.copyOfRange(perRow, 0, outC));
                int lastRow = (gold.batch() - 1) * tokens * outC;
                assertThat(java.util.Arrays.copyOfRange(changed, lastRow, changed.length)).containsExactly(java.util.Arrays.copyOfRange(perRow, lastRow, perRow.length));
            }
        }
    }

    private static LtxTransformerGoldenTest.Golden golden(String fixture) throws Exception {
        return LtxTransformerGoldenTest.golden(Path.of("src/test/resources/fixtures", fixture));
    }
}
