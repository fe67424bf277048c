package mmgp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mmgp.api.Task;
import mmgp.registry.CatalogEntry;
import mmgp.registry.FakeHub;
import mmgp.registry.FilePatterns;
import mmgp.registry.HubClient;
import mmgp.registry.ModelFamily;
import mmgp.registry.ModelPuller;
import mmgp.registry.ModelRegistry;
import mmgp.registry.RetryPolicy;
import mmgp.tensor.GgmlType;
import mmgp.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PullProgressTest {
    private static final long MIB = 1 << 20;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final AtomicLong now = new AtomicLong();

    @TempDir
    Path tmp;

    private String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private void advance(double seconds) {
        now.addAndGet((long) (seconds * 1e9));
    }

    @Test
    void plainLinesShowTheWholeDownloadsBytesRateElapsedAndEta() {
        PullProgress p = new PullProgress(out, ProgressBar.Mode.PLAIN, now::get, ProgressBar.PLAIN_INTERVAL_NANOS);
        // 100 MiB in all; 20 MiB of the first file were left by an earlier run.
        p.downloadStarted(2, 100 * MIB, 20 * MIB);
        p.fileStarted("a.safetensors", 60 * MIB, 20 * MIB);
        advance(4);
        p.fileProgress("a.safetensors", 40 * MIB, 60 * MIB, 5 * MIB); // 20 MiB in 4 s this run: 5 MiB/s, 60 MiB left
        advance(1);
        p.fileProgress("a.safetensors", 45 * MIB, 60 * MIB, 5 * MIB); // within the 5 s throttle: not printed
        advance(5);
        p.fileProgress("a.safetensors", 60 * MIB, 60 * MIB, 5 * MIB); // 5 s after the last line: printed
        p.fileDone("a.safetensors", 60 * MIB, false);
        advance(2);
        p.fileProgress("b/model.bin", 10 * MIB, 40 * MIB, 5 * MIB); // another file's first line is always printed
        String[] lines = text().split("\n");
        assertThat(text()).doesNotContain("\r");
        assertThat(lines[0]).startsWith("  resuming a.safetensors at 20.0 MiB of 60.0 MiB");
        assertThat(lines[1]).contains("40.0 MiB / 60.0 MiB").contains("all 40.0 MiB / 100.0 MiB").contains("5.0 MiB/s")
                .contains("elapsed 0:04").endsWith("ETA 0:12");
        // 40 MiB fetched in 10 s: 4 MiB/s, 40 MiB left.
        assertThat(lines[2]).contains("60.0 MiB / 60.0 MiB").contains("all 60.0 MiB / 100.0 MiB").contains("4.0 MiB/s")
                .contains("elapsed 0:10").endsWith("ETA 0:10");
        assertThat(lines[3]).contains("a.safetensors").contains("60.0 MiB verified");
        // 50 MiB in 12 s, 30 MiB left: 7.2 s.
        assertThat(lines[4]).contains("10.0 MiB / 40.0 MiB").contains("all 70.0 MiB / 100.0 MiB").contains("elapsed 0:12").endsWith("ETA 0:07");
        assertThat(lines).hasSize(5);
    }

    @Test
    void aCachedFileLaterInTheListCountsNeitherInTheRateNorInWhatIsLeft() {
        PullProgress p = new PullProgress(out, ProgressBar.Mode.PLAIN, now::get, 0);
        // a (30 MiB) is fetched first; b (40 MiB) was downloaded by an earlier run; c (30 MiB) is new.
        p.downloadStarted(3, 100 * MIB, 40 * MIB);
        p.fileStarted("a", 30 * MIB, 0);
        advance(2);
        p.fileProgress("a", 10 * MIB, 30 * MIB, 5 * MIB);
        // 10 MiB in 2 s; 20 MiB of a and 30 MiB of c left: 10 s.
        assertThat(lastLine()).contains("all 10.0 MiB / 100.0 MiB").contains("  5.0 MiB/s").endsWith("ETA 0:10");
        advance(4);
        p.fileProgress("a", 30 * MIB, 30 * MIB, 5 * MIB);
        p.fileDone("a", 30 * MIB, false);
        p.fileDone("b", 40 * MIB, true);
        p.fileStarted("c", 30 * MIB, 0);
        advance(4);
        p.fileProgress("c", 20 * MIB, 30 * MIB, 5 * MIB);
        // 50 MiB transferred in 10 s, 10 MiB left.
        assertThat(lastLine()).contains("all 90.0 MiB / 100.0 MiB").contains("  5.0 MiB/s").endsWith("ETA 0:02");
    }

    @Test
    void aPartlyDownloadedFileLaterInTheListCountsOnlyItsNewBytesAndRetriesAddUp() {
        PullProgress p = new PullProgress(out, ProgressBar.Mode.PLAIN, now::get, 0);
        // a (20 MiB) is new; b (80 MiB) has 50 MiB from an earlier run.
        p.downloadStarted(2, 100 * MIB, 50 * MIB);
        p.fileStarted("a", 20 * MIB, 0);
        advance(2);
        p.fileProgress("a", 10 * MIB, 20 * MIB, 5 * MIB);
        // 10 MiB of a and 30 MiB of b left at 5 MiB/s.
        assertThat(lastLine()).contains("  5.0 MiB/s").endsWith("ETA 0:08");
        advance(2);
        p.fileProgress("a", 20 * MIB, 20 * MIB, 5 * MIB);
        p.fileDone("a", 20 * MIB, false);
        p.fileStarted("b", 80 * MIB, 50 * MIB);
        advance(2);
        p.fileProgress("b", 60 * MIB, 80 * MIB, 5 * MIB);
        // 30 MiB in 6 s; 20 MiB left.
        assertThat(lastLine()).contains("all 80.0 MiB / 100.0 MiB").contains("  5.0 MiB/s").endsWith("ETA 0:04");
        p.retrying("b", 1, "connection reset");
        p.fileStarted("b", 80 * MIB, 60 * MIB); // the next attempt resumes where this one stopped
        advance(2);
        p.fileProgress("b", 70 * MIB, 80 * MIB, 5 * MIB);
        // 40 MiB in 8 s over both attempts; 10 MiB left.
        assertThat(lastLine()).contains("all 90.0 MiB / 100.0 MiB").contains("  5.0 MiB/s").endsWith("ETA 0:02");
    }

    /** On-disk bytes thrown away (a file failing its hash, a part the server cannot resume) are to transfer again: what is left grows back. */
    @Test
    void discardedOnDiskBytesCountAsLeftAgain() {
        PullProgress p = new PullProgress(out, ProgressBar.Mode.PLAIN, now::get, 0);
        // a (40 MiB) was complete on disk but fails its hash; b (60 MiB) has a 30 MiB part the server will not resume.
        p.downloadStarted(2, 100 * MIB, 70 * MIB);
        p.discarded("a", 40 * MIB);
        p.fileStarted("a", 40 * MIB, 0);
        advance(2);
        p.fileProgress("a", 10 * MIB, 40 * MIB, 5 * MIB);
        // 30 MiB of a and 30 MiB of b left at 5 MiB/s: 12 s (without the discard, 4 s).
        assertThat(lastLine()).contains("all 10.0 MiB / 100.0 MiB").contains("  5.0 MiB/s").endsWith("ETA 0:12");
        advance(6);
        p.fileProgress("a", 40 * MIB, 40 * MIB, 5 * MIB);
        p.fileDone("a", 40 * MIB, false);
        p.fileStarted("b", 60 * MIB, 30 * MIB);
        advance(2);
        p.fileProgress("b", 40 * MIB, 60 * MIB, 5 * MIB);
        // 50 MiB in 10 s; 20 MiB left.
        assertThat(lastLine()).contains("all 80.0 MiB / 100.0 MiB").endsWith("ETA 0:04");
        p.retrying("b", 1, "416");
        p.discarded("b", 30 * MIB); // the 416 threw the old part away: b starts over
        p.fileStarted("b", 60 * MIB, 0);
        advance(2);
        p.fileProgress("b", 10 * MIB, 60 * MIB, 5 * MIB);
        // 60 MiB in 12 s: 5 MiB/s; 50 MiB of b left: 10 s (without the discard, 4 s).
        assertThat(lastLine()).contains("all 50.0 MiB / 100.0 MiB").contains("  5.0 MiB/s").endsWith("ETA 0:10");
    }

    private String lastLine() {
        String[] lines = text().split("\n");
        return lines[lines.length - 1];
    }

    @Test
    void theTerminalLineIsRedrawnAndTheFinishedFileCoversIt() {
        PullProgress p = new PullProgress(out, ProgressBar.Mode.BAR, now::get, ProgressBar.PLAIN_INTERVAL_NANOS);
        p.downloadStarted(1, 10 * MIB, 0);
        advance(1);
        p.fileProgress("w.safetensors", 2 * MIB, 10 * MIB, 2 * MIB);
        advance(1);
        p.fileProgress("w.safetensors", 4 * MIB, 10 * MIB, 2 * MIB);
        p.fileDone("w.safetensors", 10 * MIB, false);
        String s = text();
        String[] redraws = s.substring(1).split("\r");
        assertThat(redraws).hasSize(3);
        assertThat(redraws[0]).endsWith("ETA 0:04");
        assertThat(redraws[1]).contains("all 4.0 MiB / 10.0 MiB").contains("2.0 MiB/s").endsWith("ETA 0:03");
        assertThat(redraws[2]).contains("verified").endsWith("\n");
        assertThat(redraws[2].length() - 1).as("padded over the progress line").isGreaterThanOrEqualTo(redraws[1].length());
    }

    @Test
    void quietPrintsNothing() {
        PullProgress p = new PullProgress(out, true);
        p.phase("downloading", "x");
        p.downloadStarted(1, 10, 0);
        p.fileProgress("a", 5, 10, 1);
        p.fileDone("a", 10, false);
        p.retrying("a", 1, "x");
        assertThat(text()).isEmpty();
    }

    /** A real pull from the loopback hub at a slow pace: the plain lines carry the whole download's progress and an ETA. */
    @Test
    void aPullFromALocalHubPrintsTheDownloadsEtaInPlainMode() throws Exception {
        Path repo = Fixtures.amusedTextEncoder(tmp.resolve("repo"));
        long weights = Files.size(repo.resolve("text_encoder/model.safetensors"));
        long total = weights + Files.size(repo.resolve("model_index.json")) + Files.size(repo.resolve("text_encoder/config.json"));
        ModelFamily raw = new ModelFamily("raw", Task.IMAGE, new FilePatterns(List.of("model_index.json", "text_encoder/*"), List.of()), List.of());
        try (FakeHub hub = new FakeHub(repo, "test-org/tiny")) {
            hub.pace(weights * 2); // about half a second for the weights
            PullProgress progress = new PullProgress(out, ProgressBar.Mode.PLAIN, System::nanoTime, 0); // every update a line
            HubClient client = new HubClient(hub.endpoint(), null, new RetryPolicy(2, Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofSeconds(20)));
            new ModelPuller(new ModelRegistry(tmp.resolve("models")), client, progress)
                    .pull(new CatalogEntry("tiny", "test-org/tiny", "main", raw, GgmlType.F32), GgmlType.F32, false, false);
        }
        assertThat(text()).doesNotContain("\r");
        List<String> lines = Arrays.stream(text().split("\n")).filter(l -> l.contains("model.safetensors") && l.contains(" all ")).toList();
        assertThat(lines).as(text()).hasSizeGreaterThanOrEqualTo(2);
        Pattern line = Pattern.compile(".* all (\\S+) (\\S+) / (\\S+) (\\S+)  (\\S+) (\\S+)/s  elapsed (\\d+:\\d\\d)(  ETA (\\d+:\\d\\d))?");
        String human = mmgp.registry.DiskSpaceException.human(total);
        for (String l : lines) {
            Matcher m = line.matcher(l);
            assertThat(m.matches()).as(l).isTrue();
            assertThat(m.group(3) + " " + m.group(4)).as("the whole download's size").isEqualTo(human);
        }
        assertThat(lines.getFirst()).as("an unfinished download has an estimate").containsPattern("ETA \\d+:\\d\\d$");
        assertThat(lines.getLast()).as("nothing is left at the end").contains("all " + human + " / " + human).doesNotContain("ETA");
    }
}
