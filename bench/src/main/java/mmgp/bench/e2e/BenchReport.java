package mmgp.bench.e2e;

import java.util.List;

/**
 * Everything one `mmgp bench e2e` run measured; written as JSON, rendered as Markdown and a chart.
 * {@code torch} is the PyTorch stage peer of aMUSEd and LTX (null in a bench.json of before it).
 */
public record BenchReport(String date, String command, Machine machine, String nativeBuild, List<ConfigurationResult> configurations,
                          SideBySide mtmdCli, TorchPeer torch, List<Targets.Row> targets, List<String> notes) {}
