package mmgp.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChecksumsTest {
    @Test
    void gitBlobSha1MatchesGit() {
        // `git hash-object` of an empty file and of "hello\n".
        assertThat(Checksums.gitBlobSha1(new byte[0])).isEqualTo("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
        assertThat(Checksums.gitBlobSha1("hello\n".getBytes(StandardCharsets.US_ASCII))).isEqualTo("ce013625030ba8dba906f756967f9e9ca394464a");
    }

    @Test
    void runningDigestsOverChunksEqualOneShot(@TempDir Path tmp) throws Exception {
        byte[] data = new byte[300_001];
        new java.util.Random(7).nextBytes(data);
        Path head = tmp.resolve("head");
        Files.write(head, java.util.Arrays.copyOf(data, 123_457));
        Checksums.Running r = new Checksums.Running(data.length);
        r.update(head);
        r.update(data, 123_457, data.length - 123_457);
        Path whole = tmp.resolve("whole");
        Files.write(whole, data);
        assertThat(r.sha256()).isEqualTo(Checksums.sha256(whole));
        assertThat(r.gitBlobSha1()).isEqualTo(Checksums.gitBlobSha1(data));
    }

    @Test
    void sha256OfKnownVector(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("abc");
        Files.writeString(f, "abc");
        assertThat(Checksums.sha256(f)).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
