package mmgp.engine;

import java.util.ArrayList;
import java.util.List;
import mmgp.api.InvalidRequestException;
import mmgp.engine.spi.BatchModel;
import mmgp.engine.spi.CostEstimate;

/**
 * The engine's admission control by cost: a request is refused at submit when its run alone
 * needs more memory than {@code memoryBudgetBytes}, more than {@code maxRequestSeconds} of
 * compute at {@code flopsPerSecond}, or a size above {@code maxSize} (0 sides: the model's
 * native size per side, and when neither side is set, the model's native pixel count if it gives
 * one, {@link CostEstimate#nativePixels}); a batch is never gathered beyond what the budget holds. Figures come from
 * {@link BatchModel#estimate}; a model that estimates nothing is never refused.
 *
 * @param memoryBudgetBytes most bytes one batch may need beyond the weights; 0 means no budget
 * @param maxRequestSeconds most estimated seconds of compute one request may take; 0 means no limit
 * @param flopsPerSecond    the rate that turns FLOPs into seconds (calibrated per machine)
 * @param maxSize           the largest output size, a 0 side meaning the model's native one; null means any size
 */
record AdmissionLimits(long memoryBudgetBytes, double maxRequestSeconds, double flopsPerSecond, CostEstimate.Size maxSize, int maxSteps) {
    /**
     * FLOP/s per compute thread turning estimates into seconds: the benchmark's measured 84–110
     * GFLOP/s on 2 threads of an AMD EPYC for aMUSEd and LTX stages (bench/results/2026-12-07-c),
     * rounded down to 40 per thread because large attention graphs run slower than the bench's sizes.
     */
    static final double FLOPS_PER_THREAD = 40e9;

    static final AdmissionLimits NONE = new AdmissionLimits(0, 0, FLOPS_PER_THREAD, null, 0);

    AdmissionLimits {
        if (memoryBudgetBytes < 0) throw new IllegalArgumentException("memory budget must be 0 (none) or positive, got " + memoryBudgetBytes);
        if (!(maxRequestSeconds >= 0)) throw new IllegalArgumentException("max request seconds must be 0 (none) or positive, got " + maxRequestSeconds);
        if (!(flopsPerSecond > 0)) throw new IllegalArgumentException("FLOP rate must be positive, got " + flopsPerSecond);
        if (maxSteps < 0) throw new IllegalArgumentException("max steps must be 0 (none) or positive, got " + maxSteps);
    }

    /** Refuses {@code request} when its run alone cannot fit; see the record's description. */
    <Q> void admit(BatchModel<Q, ?> model, Q request) {
        CostEstimate e = model.estimate(List.of(request));
        if (maxSize != null && e.size() != null) {
            checkSide("width", e.size().width(), maxSize.width(), side(e.nativeSize(), true));
            checkSide("height", e.size().height(), maxSize.height(), side(e.nativeSize(), false));
            long pixels = (long) e.size().width() * e.size().height();
            if (maxSize.width() == 0 && maxSize.height() == 0 && e.nativePixels() > 0 && pixels > e.nativePixels()) {
                throw new InvalidRequestException("width", e.size() + " is " + pixels + " pixels, above the model's native " + e.nativePixels()
                        + " (e.g. " + nativeExample(e) + "; --max-width and --max-height allow more)");
            }
        }
        if (maxSteps > 0 && e.steps() > maxSteps) {
            // the server checks explicit steps when it parses them; this also holds a model's own default, and the worker's requests
            throw new InvalidRequestException("steps", e.steps() + " steps is above the limit of " + maxSteps
                    + " (--max-steps; a request that gives no steps runs the model's default): give steps of at most " + maxSteps);
        }
        if (memoryBudgetBytes > 0 && e.peakBytes() > memoryBudgetBytes) {
            throw new OverBudgetException(OverBudgetException.Limit.MEMORY, e, e.peakBytes(), memoryBudgetBytes);
        }
        double seconds = e.flops() / flopsPerSecond;
        if (maxRequestSeconds > 0 && seconds > maxRequestSeconds) {
            throw new OverBudgetException(OverBudgetException.Limit.COMPUTE, e, seconds, maxRequestSeconds);
        }
    }

    /**
     * Refuses a side above its cap: {@code configured} when positive (the server's limit), else
     * the model's {@code nativeSide} (0: unknown, nothing to check). Each side names its own
     * source, so a server that sets only --max-width still names the native height.
     */
    private static void checkSide(String field, int requested, int configured, int nativeSide) {
        int max = configured > 0 ? configured : nativeSide;
        if (max <= 0 || requested <= max) return;
        String whose = configured > 0 ? "this server's limit" : "the model's native size";
        throw new InvalidRequestException(field, field + " " + requested + " is above " + whose + " of " + max + " (--max-" + field + ")");
    }

    private static String nativeExample(CostEstimate e) {
        CostEstimate.Size n = e.nativeSize();
        if (n == null || n.width() <= 0) return "a smaller size";
        long other = e.nativePixels() / n.width();
        return n.width() + "×" + other + " or " + other + "×" + n.width();
    }

    private static int side(CostEstimate.Size nativeSize, boolean width) {
        if (nativeSize == null) return 0;
        return width ? nativeSize.width() : nativeSize.height();
    }

    /**
     * Whether {@code batch} and {@code next} together fit the memory budget; an estimate that
     * fails counts as not fitting ({@code next} then waits for a batch of its own).
     */
    <Q> boolean fits(BatchModel<Q, ?> model, List<Q> batch, Q next) {
        if (memoryBudgetBytes == 0) return true;
        List<Q> all = new ArrayList<>(batch.size() + 1);
        all.addAll(batch);
        all.add(next);
        try {
            return model.estimate(all).peakBytes() <= memoryBudgetBytes;
        } catch (RuntimeException e) {
            System.getLogger(AdmissionLimits.class.getName()).log(System.Logger.Level.WARNING,
                    "estimating a batch of " + all.size() + " failed (" + e + "); its last request waits for another batch");
            return false;
        }
    }
}
