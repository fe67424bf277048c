package mmgp.bench.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes a report as bench.json (everything, every run), bench.md (the tables) and bench.png (stage times). */
public final class ReportFiles {
    public static final String JSON = "bench.json", MARKDOWN = "bench.md", CHART = "bench.png";

    private ReportFiles() {}

    private static ObjectMapper mapper() {
        // Paths as plain file names, not file:// URIs, so the JSON reads like the command line; derived
        // fields written for readers (a stage's spread) are not read back.
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .registerModule(new SimpleModule().addSerializer(Path.class, ToStringSerializer.instance));
    }

    public static void write(BenchReport report, Path dir) throws IOException {
        Files.createDirectories(dir);
        mapper().writeValue(dir.resolve(JSON).toFile(), report);
        render(report, dir);
    }

    /** The report a run wrote to {@code dir/bench.json}. */
    public static BenchReport read(Path dir) throws IOException {
        Path file = dir.resolve(JSON);
        if (!Files.isRegularFile(file)) throw new IOException("no " + JSON + " in " + dir + " (run ./mmgp bench e2e --out " + dir + " first)");
        return mapper().readValue(file.toFile(), BenchReport.class);
    }

    /** Writes the Markdown and the chart of a report (again), leaving its JSON as it is. */
    public static void render(BenchReport report, Path dir) throws IOException {
        boolean charted = report.configurations().stream().anyMatch(ConfigurationResult::ok);
        if (charted) StageChart.write(report.configurations(), dir.resolve(CHART));
        Files.writeString(dir.resolve(MARKDOWN), MarkdownReport.render(report, charted ? CHART : null));
    }
}
