package mmgp.models.ltx;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import mmgp.bindings.NativeLibraries;
import mmgp.convert.HfCheckpoint;
import mmgp.graph.ComputeBackend;
import mmgp.graph.WeightSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** For the tiled VAE tests: the ltx_video_095 fixture's checkpoint, weights and VAE config on a 2-thread CPU backend. */
abstract class Vae095Fixture {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/ltx_video_095");

    static ComputeBackend backend;
    static HfCheckpoint ckpt;
    static WeightSet weights;
    static LtxVaeConfig config;

    @BeforeAll
    static void openFixture() throws Exception {
        assumeTrue(NativeLibraries.available(), "native ggml libraries not built");
        backend = ComputeBackend.cpu(2);
        ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
        weights = WeightSet.fromCheckpoint(backend, ckpt, false);
        config = LtxVaeConfig.fromJson(ckpt.component("vae").config());
    }

    @AfterAll
    static void closeFixture() throws Exception {
        if (weights != null) weights.close();
        if (ckpt != null) ckpt.close();
        if (backend != null) backend.close();
        weights = null;
        ckpt = null;
        backend = null;
    }
}
