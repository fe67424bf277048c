package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A job recorded (and so answered 202) is still in the database after the process is killed right away. */
class JobStoreCrashTest {
    private static final String ID = "0b7e6a3c-2f1d-4c5e-9a8b-7c6d5e4f3a2b";

    @Test
    void aRecordedJobSurvivesAnAbruptExit(@TempDir Path dir) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                JobStoreCrashTest.class.getName(), dir.toString()).redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes());
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(output).as("child output").contains("recorded");
        assertThat(child.exitValue()).isEqualTo(3);

        try (H2JobStore store = new H2JobStore(dir)) {
            assertThat(store.find(ID)).as("the row written just before the kill").isPresent()
                    .get().extracting(JobRecord::status).isEqualTo(JobStatus.QUEUED);
        }
    }

    /** The child: records one job, then dies at once, the way a killed server would (no shutdown hooks, no close). */
    public static void main(String[] args) throws Exception {
        H2JobStore store = new H2JobStore(Path.of(args[0]));
        Instant now = Instant.now();
        store.insert(new JobRecord(ID, "image", JobStatus.QUEUED, now, now, "{\"prompt\":\"x\"}", null, null, "key-00000000", List.of()));
        System.out.println("recorded");
        System.out.flush();
        Runtime.getRuntime().halt(3);
    }
}
