package mmgp.models.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import mmgp.bindings.NativeLibraries;
import mmgp.cluster.ClusterDemo;
import mmgp.cluster.KraftBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mmgp cluster demo} as a test: PostgreSQL, a KRaft broker, a front end and two workers,
 * each its own process, with the tiny aMUSEd checkpoint; worker-1 is killed with SIGKILL in
 * the middle of a batch and restarted, and every accepted job must end exactly once.
 */
class ClusterDemoTest {
    static final Path AMUSED = Path.of("src/test/resources/fixtures/amused/checkpoint");

    @TempDir
    Path dir;

    @Test
    void aWorkerKilledMidBatchLosesAndDuplicatesNothing() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream both = new PrintStream(new TeeStream(System.out, log), true, StandardCharsets.UTF_8);
        ClusterDemo.Options o = new ClusterDemo.Options(12, 2, true, 12, 32, 4, AMUSED.toAbsolutePath(), KraftBroker.defaultLib(), dir,
                Duration.ofMinutes(5));
        ClusterDemo demo = new ClusterDemo(o, both);
        ClusterDemo.Summary s;
        try {
            s = demo.run();
        } catch (KraftBroker.UnavailableException e) {
            abort("the Kafka broker cannot start on this machine: " + e.getMessage());
            return;
        }
        String out = log.toString(StandardCharsets.UTF_8);
        assertThat(s.killedJobs()).as(out).isNotEmpty();
        assertThat(out).contains("kill -9 worker-1").contains("restarted worker-1");
        assertThat(s.line()).as(out).isEqualTo("accepted 12 completed 12 failed 0 lost 0 duplicated 0");
        assertThat(s.recoverySeconds()).isPositive();
        assertThat(demo.apiChecksPassed()).as(out).isTrue();
    }

    /** Writes to two streams (the demo's lines reach the build log and the assertions). */
    private static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
