package mmgp.bench.e2e;

import java.util.List;

/** Everything one `mmgp bench e2e` run measured; written as JSON, rendered as Markdown and a chart. */
public record BenchReport(String date, String command, Machine machine, String nativeBuild, List<ConfigurationResult> configurations,
                          SideBySide mtmdCli, List<String> pythonPeers, List<Targets.Row> targets, List<String> notes) {}
