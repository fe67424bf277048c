package mmgp.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A hub that cannot be reached is reported within seconds, naming the host and what to do. */
class HubOfflineTest {
    @Test
    void aRefusedConnectionFailsFastWithASentence() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        // The default policy, which retries a transient failure 6 times over ~30 s.
        HubClient hub = new HubClient("http://127.0.0.1:" + port, null, RetryPolicy.DEFAULT);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> hub.resolveCommit("amused/amused-256", "main"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot reach 127.0.0.1 (connection refused, 2 attempts)")
                .hasMessageContaining("--endpoint / HF_ENDPOINT");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void otherFailuresAreNotCalledUnreachable() {
        assertThat(HubClient.unreachableReason(new IOException("connection closed after 5 of 10 bytes"))).isNull();
        assertThat(HubClient.unreachableReason(new IOException(new java.net.UnknownHostException("hub.invalid")))).isEqualTo("unknown host");
        assertThat(HubClient.unreachableReason(new HubException(503, "busy"))).isNull();
    }
}
