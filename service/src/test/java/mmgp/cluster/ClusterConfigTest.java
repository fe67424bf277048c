package mmgp.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterConfigTest {
    @TempDir
    Path dir;

    @Test
    void readsTheFileTheReadmeShowsWithItsTrailingComments() throws Exception {
        Path f = Files.writeString(dir.resolve("cluster.properties"), """
                kafka.bootstrap.servers=kafka1:9092,kafka2:9092
                postgres.url=jdbc:postgresql://db:5432/mmgp
                postgres.user=mmgp
                shared.dir=/mnt/mmgp        # uploads and results
                topic.partitions=6          # per topic
                lag.bound=64
                """);
        ClusterConfig c = ClusterConfig.read(f);
        assertThat(c.sharedDir()).isEqualTo(Path.of("/mnt/mmgp"));
        assertThat(c.partitions()).isEqualTo(6);
        assertThat(c.maxAttempts()).isEqualTo(3);
        assertThat(c.sessionTimeout()).isEqualTo(Duration.ofSeconds(10));
        // what write() writes, read() reads back
        c.write(dir.resolve("again.properties"));
        assertThat(ClusterConfig.read(dir.resolve("again.properties"))).isEqualTo(c);
    }

    @Test
    void namesWhatIsMissing() throws Exception {
        Path f = Files.writeString(dir.resolve("c.properties"), "kafka.bootstrap.servers=k:9092\nshared.dir=/x\n");
        assertThatThrownBy(() -> ClusterConfig.read(f)).hasMessageContaining("postgres.url");
    }
}
