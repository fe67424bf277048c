package mmgp.engine;

import java.util.Locale;
import mmgp.engine.spi.CostEstimate;

/**
 * A request the engine refuses before queuing because its run would not fit: it needs more
 * memory than the engine's budget, or more compute than one request may take. Retrying does
 * not help; a smaller request (fewer frames, a smaller size, fewer steps) might. The HTTP
 * layer answers 413 with the message, which names the limit and the estimate.
 */
public final class OverBudgetException extends RuntimeException {
    /** Which limit the request is over. */
    public enum Limit {
        MEMORY("memory budget", "--memory-budget"),
        COMPUTE("compute limit per request", "--max-request-seconds");

        private final String words;
        private final String flag;

        Limit(String words, String flag) {
            this.words = words;
            this.flag = flag;
        }

        public String words() {
            return words;
        }

        /** The serve/worker option that sets it. */
        public String flag() {
            return flag;
        }
    }

    private final Limit limit;
    private final CostEstimate estimate;
    private final double needed;
    private final double allowed;

    OverBudgetException(Limit limit, CostEstimate estimate, double needed, double allowed) {
        super(message(limit, estimate, needed, allowed));
        this.limit = limit;
        this.estimate = estimate;
        this.needed = needed;
        this.allowed = allowed;
    }

    private static String message(Limit limit, CostEstimate estimate, double needed, double allowed) {
        return switch (limit) {
            case MEMORY -> estimate.what() + " needs about " + bytes((long) needed) + ", over the " + limit.words + " of " + bytes((long) allowed)
                    + " (" + limit.flag + ")" + (estimate.memoryHint() == null ? "" : "; " + estimate.memoryHint());
            case COMPUTE -> estimate.what() + " needs about " + seconds(needed) + " of compute, over the " + limit.words + " of " + seconds(allowed)
                    + " (" + limit.flag + ")";
        };
    }

    public Limit limit() {
        return limit;
    }

    public CostEstimate estimate() {
        return estimate;
    }

    /** The estimated figure: bytes for MEMORY, seconds for COMPUTE. */
    public double needed() {
        return needed;
    }

    /** The limit's figure, in the unit of {@link #needed}. */
    public double allowed() {
        return allowed;
    }

    /** 10.3 GiB, 512 MiB: binary units, one decimal above 10 of a unit only when it says something. */
    public static String bytes(long b) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return (v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v)) + " " + units[u];
    }

    static String seconds(double s) {
        if (s < 120) return String.format(Locale.ROOT, "%.0f s", s);
        if (s < 7200) return String.format(Locale.ROOT, "%.0f min", s / 60);
        return String.format(Locale.ROOT, "%.1f h", s / 3600);
    }
}
