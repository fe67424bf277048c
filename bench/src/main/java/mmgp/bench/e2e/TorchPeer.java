package mmgp.bench.e2e;

import java.util.List;

/**
 * The PyTorch stage peer as the report carries it: one {@link TorchStages} per thread count run,
 * or why it was skipped; {@code failures} lists thread counts whose run failed, with the reason.
 */
public record TorchPeer(String skipped, String python, List<TorchStages> runs, List<String> failures) {
    public TorchPeer {
        runs = runs == null ? List.of() : List.copyOf(runs);
        failures = failures == null ? List.of() : List.copyOf(failures);
    }

    static TorchPeer skipped(String why) {
        return new TorchPeer(why, null, List.of(), List.of());
    }

    /** The run at a thread count, or null. */
    public TorchStages at(int threads) {
        return runs.stream().filter(r -> r.threads() == threads).findFirst().orElse(null);
    }
}
