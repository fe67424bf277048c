package mmgp.bench.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs one configuration in a child JVM started with this JVM's java, flags and class path, so its
 * peak RSS and its JIT/heap state belong to that configuration alone.
 */
final class ChildRun {
    private ChildRun() {}

    static ConfigurationResult run(WorkloadSettings s) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent")) command.add(arg); // no debugger or agent in a timed child
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(WorkloadMain.class.getName());
        command.addAll(s.toArgs());
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<Map<String, Double>> runs = new ArrayList<>();
        RunLine.End end = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                RunLine.Run run = RunLine.parseRun(line);
                RunLine.End e = RunLine.parseEnd(line);
                if (run != null) {
                    if (!run.warmup()) runs.add(run.metrics());
                    System.err.printf("  %s run %d: %s%n", s.model(), run.run() + 1, run.metrics());
                } else if (e != null) {
                    end = e;
                } else {
                    System.err.println("  | " + line); // whatever a native library printed
                }
            }
        }
        int code = p.waitFor();
        double wall = (System.nanoTime() - t0) / 1e9;
        if (code != 0 || end == null || runs.isEmpty()) {
            return ConfigurationResult.failed(s, wall, "child exited with code " + code + (end == null ? " before finishing" : ""));
        }
        return new ConfigurationResult(s, end.sizeLabel(), runs, StageStats.summarise(runs), end.loadSeconds(), end.peakRssBytes(), wall, null,
                end.rates(), end.peaks());
    }
}
