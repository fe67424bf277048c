package mmgp.bench;

import java.util.List;
import java.util.Map;
import mmgp.bench.e2e.Machine;

/**
 * Everything one {@code mmgp bench kernels} run measured: per thread count, every case's ggml
 * variants and PyTorch dtypes side by side. Written as kernels.json; {@link KernelMarkdown} renders it.
 *
 * @param runs  one per thread count, in the order run
 * @param notes what applies to every table (FLOP counts, what the columns mean)
 */
public record KernelReport(String date, String command, Machine machine, String nativeBuild, List<ThreadRun> runs, List<String> notes) {

    /**
     * @param peakGflops       this CPU's measured FP32 FMA peak at this thread count ({@link CpuPeaks}), NaN if not measured
     * @param torch            the torch side in words ({@link TorchKernels.Run#describe()}), or "torch peer skipped: why"
     * @param torchEnvironment what the script reported about itself (empty when skipped)
     * @param load             the machine's 1-minute load average before and after this thread count's run,
     *                         e.g. "0.12 / 2.01" (this run's own threads count too): other work on the cores lowers every figure
     */
    public record ThreadRun(int threads, double peakGflops, String torch, Map<String, Object> torchEnvironment, String load, List<Row> rows) {}

    /**
     * One case at one thread count.
     *
     * @param ggml          the ggml variants ({@link GgmlKernels#variants})
     * @param torch         dtype → result (empty when the torch peer was skipped)
     * @param bestMmgp      the fastest ggml variant's GFLOP/s
     * @param bestTorch     the fastest torch dtype's GFLOP/s measured at the full shape (NaN if none)
     * @param ratio         bestMmgp / bestTorch: above 1, mmgp's best route is faster
     * @param load          the 1-minute load average when the case started (null if unknown)
     */
    public record Row(String name, String group, String kind, String shape, String origin, double gflop,
                      List<GgmlKernels.Measurement> ggml, Map<String, TorchKernels.Result> torch,
                      double bestMmgp, String bestMmgpVariant, double bestTorch, String bestTorchDtype, double ratio, String load) {

        public static Row of(KernelCase c, List<GgmlKernels.Measurement> ggml, Map<String, TorchKernels.Result> torch, String load) {
            double bestMmgp = Double.NaN, bestTorch = Double.NaN;
            String mmgpVariant = null, torchDtype = null;
            for (GgmlKernels.Measurement m : ggml) {
                if (m.ok() && !(m.gflops() <= bestMmgp)) {
                    bestMmgp = m.gflops();
                    mmgpVariant = m.variant();
                }
            }
            for (Map.Entry<String, TorchKernels.Result> e : torch.entrySet()) {
                TorchKernels.Result r = e.getValue();
                // A result measured on a reduced shape (a fallback too slow for the full one) is an estimate: not a "best".
                if (r.ok() && r.reduced() == null && !(r.gflops() <= bestTorch)) {
                    bestTorch = r.gflops();
                    torchDtype = e.getKey();
                }
            }
            return new Row(c.name(), c.group(), c.kind(), c.shape(), c.origin(), c.flop() / 1e9, ggml, torch,
                    bestMmgp, mmgpVariant, bestTorch, torchDtype, bestMmgp / bestTorch, load);
        }

        public GgmlKernels.Measurement ggml(String variant) {
            return ggml.stream().filter(m -> m.variant().equals(variant)).findFirst().orElse(null);
        }
    }
}
