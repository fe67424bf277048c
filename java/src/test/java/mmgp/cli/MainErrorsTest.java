package mmgp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

class MainErrorsTest {
    @Test
    void aFailureReadsAsItsMessageAndVerboseAddsTheClass() {
        var e = new IllegalArgumentException("frames must be 8k+1, got 10");
        assertThat(Main.describe(e, false)).isEqualTo("frames must be 8k+1, got 10");
        assertThat(Main.describe(e, true)).isEqualTo("IllegalArgumentException: frames must be 8k+1, got 10");
    }

    @Test
    void aFailureWithoutMessageNamesItsClassAndTheFirstCauseThatSaysSomething() {
        var e = new IOException(null, new RuntimeException(new ConnectException("Connection refused")));
        assertThat(Main.describe(e, false)).isEqualTo("IOException: java.net.ConnectException: Connection refused");
        assertThat(Main.describe(new ConnectException(), false)).isEqualTo("ConnectException");
    }

    @Test
    void exceptionsWhoseMessageIsOnlyAPathSayWhatHappened() {
        assertThat(Main.describe(new java.nio.file.AccessDeniedException("/root/x/frame.png"), false)).isEqualTo("permission denied: /root/x/frame.png");
        assertThat(Main.describe(new java.nio.file.NoSuchFileException("/nope"), false)).isEqualTo("no such file or folder: /nope");
        assertThat(Main.describe(new java.net.UnknownHostException("huggingface.co"), false)).isEqualTo("unknown host: huggingface.co");
    }

    @Test
    void unknownProgressModeIsRefusedBeforeAnyWork() {
        var err = new java.io.ByteArrayOutputStream();
        var old = System.err;
        int code;
        try {
            System.setErr(new java.io.PrintStream(err, true));
            code = Main.run("--progress", "fancy", "models");
        } finally {
            System.setErr(old);
        }
        assertThat(code).isNotZero();
        assertThat(err.toString()).contains("unknown progress mode 'fancy'; use bar, plain or none");
    }
}
