package mmgp.cluster;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

/**
 * How a front end or a worker finds the cluster: a Java properties file given with
 * {@code --cluster FILE}, the same file for every process.
 * <pre>
 * kafka.bootstrap.servers = 127.0.0.1:9092
 * postgres.url            = jdbc:postgresql://127.0.0.1:5432/mmgp
 * postgres.user           = mmgp
 * postgres.password       = secret
 * shared.dir              = /mnt/mmgp          # uploads and results, mounted on every process
 * topic.partitions        = 6                  # per work topic, when mmgp creates the topics
 * lag.bound               = 64                 # a task's lag at which front ends answer 429
 * max.attempts            = 3                  # runs a job may start before it is failed as poison
 * session.timeout.ms      = 10000              # how soon a dead worker's partitions move
 * </pre>
 *
 * @param sharedDir   results and uploads: a folder every process mounts (NFS, a cloud file share),
 *                    so a worker writes a video once and any front end streams it from disk
 *                    without the database carrying blobs of many megabytes
 * @param maxAttempts a job whose worker died this many times (a request that crashes its worker)
 *                    is failed instead of blocking its partition
 */
public record ClusterConfig(String bootstrapServers, String jdbcUrl, String dbUser, String dbPassword, Path sharedDir,
                            int partitions, long lagBound, int maxAttempts, Duration sessionTimeout) {
    public ClusterConfig {
        if (bootstrapServers == null || bootstrapServers.isBlank()) throw new IllegalArgumentException("kafka.bootstrap.servers is required");
        if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql:")) throw new IllegalArgumentException("postgres.url must be a jdbc:postgresql: URL, got " + jdbcUrl);
        if (sharedDir == null) throw new IllegalArgumentException("shared.dir is required");
        if (partitions < 1) throw new IllegalArgumentException("topic.partitions must be at least 1, got " + partitions);
        if (lagBound < 1) throw new IllegalArgumentException("lag.bound must be at least 1, got " + lagBound);
        if (maxAttempts < 1) throw new IllegalArgumentException("max.attempts must be at least 1, got " + maxAttempts);
    }

    public static ClusterConfig read(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        Path shared = Path.of(required(p, "shared.dir", file));
        if (!shared.isAbsolute()) shared = file.toAbsolutePath().getParent().resolve(shared);
        try {
            return new ClusterConfig(required(p, "kafka.bootstrap.servers", file), required(p, "postgres.url", file),
                    value(p, "postgres.user", "mmgp"), value(p, "postgres.password", ""), shared,
                    Integer.parseInt(value(p, "topic.partitions", "6")), Long.parseLong(value(p, "lag.bound", "64")),
                    Integer.parseInt(value(p, "max.attempts", "3")), Duration.ofMillis(Long.parseLong(value(p, "session.timeout.ms", "10000"))));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ": a number is not a number: " + e.getMessage(), e);
        }
    }

    /** The value without a trailing {@code # comment} (java.util.Properties keeps those). */
    private static String value(Properties p, String key, String otherwise) {
        return p.getProperty(key, otherwise).replaceFirst("\\s+#.*$", "").strip();
    }

    /** The file {@link #read} reads back. */
    public void write(Path file) throws IOException {
        String text = """
                # mmgp cluster configuration (mmgp serve --cluster FILE, mmgp worker --cluster FILE)
                kafka.bootstrap.servers=%s
                postgres.url=%s
                postgres.user=%s
                postgres.password=%s
                shared.dir=%s
                topic.partitions=%d
                lag.bound=%d
                max.attempts=%d
                session.timeout.ms=%d
                """.formatted(bootstrapServers, jdbcUrl, dbUser, dbPassword, sharedDir.toAbsolutePath(), partitions, lagBound, maxAttempts,
                sessionTimeout.toMillis());
        Files.writeString(file, text);
    }

    private static String required(Properties p, String key, Path file) {
        String v = value(p, key, "");
        if (v.isEmpty()) throw new IllegalArgumentException(file + ": " + key + " is required");
        return v.strip();
    }
}
