package mmgp.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import mmgp.sampling.Rng;
import mmgp.sampling.Softmax;
import mmgp.sampling.SplitMix64Rng;
import mmgp.sampling.TopK;
import mmgp.sampling.TopP;
import mmgp.schedule.Axpy;
import mmgp.schedule.BatchedGuidance;
import mmgp.schedule.FlowMatchEulerStep;
import mmgp.schedule.MaskGitStep;
import mmgp.schedule.MaskingSchedule;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Sampling and denoising-step kernels, Vector API path against the scalar reference path, at model sizes:
 * SmolVLM2's 49,152-entry vocabulary, aMUSEd-512's 256 tokens x 8192 codes, and an LTX-Video-sized latent of
 * 128 x 1120 floats. Filters work in place, so their benchmarks first restore the logits; {@code copyLogits}
 * measures that restore alone.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class SamplingBench {

    private static final int VOCAB = 49_152;
    private static final int TOKENS = 256;
    private static final int CODES = 8192;
    private static final int MASK_ID = CODES;
    private static final long LATENT = 128L * 1120;

    private Arena arena;
    /** Peaked logits (sigma 6): the nucleus holds a handful of tokens, as with a real language model. */
    private MemorySegment peakedLogits;
    /** Flat logits (sigma 1): the 0.9 nucleus holds tens of thousands of tokens, top-p's worst case. */
    private MemorySegment flatLogits;
    private MemorySegment work;
    private MemorySegment probabilities;
    private final TopK topK = new TopK();
    private final TopP topP = new TopP();

    private MemorySegment maskGitLogits;
    private int[] maskGitSample;
    private int[] maskGitNext;
    private MaskGitStep maskGitStep;
    private Rng rng;

    private MemorySegment latent;
    private MemorySegment batchedVelocity;
    private MemorySegment guidedVelocity;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        SplittableRandom random = new SplittableRandom(2024);
        peakedLogits = gaussian(arena, random, VOCAB, 6.0);
        flatLogits = gaussian(arena, random, VOCAB, 1.0);
        work = arena.allocate(4L * VOCAB, 64);
        probabilities = arena.allocate(4L * VOCAB, 64);

        maskGitLogits = gaussian(arena, random, (long) TOKENS * CODES, 2.0);
        maskGitSample = new int[TOKENS];
        for (int t = 0; t < TOKENS; t++) {
            maskGitSample[t] = random.nextInt(2) == 0 ? MASK_ID : random.nextInt(CODES); // mid-schedule: half masked
        }
        maskGitNext = new int[TOKENS];
        maskGitStep = new MaskGitStep(TOKENS, CODES, MASK_ID);
        rng = new SplitMix64Rng(7);

        latent = gaussian(arena, random, LATENT, 1.0);
        batchedVelocity = gaussian(arena, random, 2 * LATENT, 1.0);
        guidedVelocity = arena.allocate(4L * LATENT, 64);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    private static MemorySegment gaussian(Arena arena, SplittableRandom random, long n, double sigma) {
        MemorySegment segment = arena.allocate(4L * n, 64);
        for (long i = 0; i < n; i++) {
            segment.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (random.nextGaussian() * sigma));
        }
        return segment;
    }

    private void restore(MemorySegment logits) {
        MemorySegment.copy(logits, 0, work, 0, 4L * VOCAB);
    }

    @Benchmark
    public MemorySegment copyLogits() {
        restore(peakedLogits);
        return work;
    }

    @Benchmark
    public MemorySegment softmaxVector() {
        Softmax.softmax(peakedLogits, probabilities, VOCAB);
        return probabilities;
    }

    @Benchmark
    public MemorySegment softmaxScalar() {
        Softmax.softmaxScalar(peakedLogits, probabilities, VOCAB);
        return probabilities;
    }

    @Benchmark
    public int topK40Vector() {
        restore(peakedLogits);
        return topK.apply(work, VOCAB, 40);
    }

    @Benchmark
    public int topK40Scalar() {
        restore(peakedLogits);
        return topK.applyScalar(work, VOCAB, 40);
    }

    /** k above n/16 switches to quickselect on a copy. */
    @Benchmark
    public int topK5000Vector() {
        restore(peakedLogits);
        return topK.apply(work, VOCAB, 5000);
    }

    @Benchmark
    public int topP09PeakedVector() {
        restore(peakedLogits);
        return topP.apply(work, VOCAB, 0.9f);
    }

    @Benchmark
    public int topP09PeakedScalar() {
        restore(peakedLogits);
        return topP.applyScalar(work, VOCAB, 0.9f);
    }

    @Benchmark
    public int topP09FlatVector() {
        restore(flatLogits);
        return topP.apply(work, VOCAB, 0.9f);
    }

    @Benchmark
    public int topP09FlatScalar() {
        restore(flatLogits);
        return topP.applyScalar(work, VOCAB, 0.9f);
    }

    @Benchmark
    public int[] maskGitStepVector() {
        maskGitStep.step(maskGitLogits, 1, maskGitSample, maskGitNext, null, 1.5f,
                MaskingSchedule.COSINE.maskRatio(5, 12), rng);
        return maskGitNext;
    }

    @Benchmark
    public int[] maskGitStepScalar() {
        maskGitStep.stepScalar(maskGitLogits, 1, maskGitSample, maskGitNext, null, 1.5f,
                MaskingSchedule.COSINE.maskRatio(5, 12), rng);
        return maskGitNext;
    }

    /** Guidance over the [uncond; cond] batch, then the Euler update; sigma step as in a 4-step LTX schedule. */
    @Benchmark
    public MemorySegment guidedFlowEulerVector() {
        BatchedGuidance.combine(batchedVelocity, LATENT, 3f, guidedVelocity);
        FlowMatchEulerStep.step(latent, guidedVelocity, LATENT, 0.75f, 0.5f);
        return latent;
    }

    /** The bare axpy (x += a·v) every Euler-type step ends with, over an LTX-sized latent. */
    @Benchmark
    public MemorySegment axpyVector() {
        Axpy.apply(-0.25f, guidedVelocity, latent, latent, LATENT);
        return latent;
    }

    @Benchmark
    public MemorySegment axpyScalar() {
        Axpy.applyScalar(-0.25f, guidedVelocity, latent, latent, LATENT);
        return latent;
    }

    @Benchmark
    public MemorySegment guidedFlowEulerScalar() {
        BatchedGuidance.combineScalar(batchedVelocity, LATENT, 3f, guidedVelocity);
        FlowMatchEulerStep.stepScalar(latent, guidedVelocity, LATENT, 0.75f, 0.5f);
        return latent;
    }
}
