package mmgp.tensor;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * How the Java float kernels (samplers, scheduler steps) see memory: the CPU's widest float species
 * over native-order F32 values with no alignment promised (logits and latents come from ggml buffers
 * and slices of them).
 */
public final class FloatLanes {
    public static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    public static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    public static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private FloatLanes() {}
}
