package mmgp.cluster;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * A one-node Apache Kafka cluster in KRaft mode (broker and controller in one process, no
 * ZooKeeper) on loopback and free ports, started from the broker jars the build copies to
 * {@code broker/target/lib}: its storage is formatted with {@code kafka.tools.StorageTool format}
 * (what {@code kafka-storage.sh format} runs), then {@code kafka.Kafka} runs as its own process.
 * For the demo and the cluster test; a real cluster runs Kafka's own distribution.
 */
public final class KraftBroker implements AutoCloseable {
    private final Process process;
    private final String bootstrap;
    private final Path log;

    private KraftBroker(Process process, String bootstrap, Path log) {
        this.process = process;
        this.bootstrap = bootstrap;
        this.log = log;
    }

    /** Thrown when the broker cannot start here (no jars, or it never answered); the test skips on it. */
    public static final class UnavailableException extends Exception {
        UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The broker jars: -Dmmgp.kafka.lib, else broker/target/lib under mmgp.home or the working directory's parents. */
    public static Path defaultLib() {
        String explicit = System.getProperty("mmgp.kafka.lib", System.getenv("MMGP_KAFKA_LIB"));
        if (explicit != null) return Path.of(explicit);
        List<Path> candidates = new ArrayList<>();
        String home = System.getProperty("mmgp.home");
        if (home != null) candidates.add(Path.of(home, "broker", "target", "lib"));
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) candidates.add(p.resolve("broker/target/lib"));
        return candidates.stream().filter(Files::isDirectory).findFirst().orElse(candidates.getFirst());
    }

    public static KraftBroker start(Path lib, Path dir, Duration timeout) throws UnavailableException, IOException, InterruptedException {
        if (!Files.isDirectory(lib) || !Files.exists(lib.resolve("kafka_2.13-" + kafkaVersion(lib) + ".jar"))) {
            throw new UnavailableException("no Kafka broker jars in " + lib + " (built by ./mmgp build, module broker)", null);
        }
        Files.createDirectories(dir);
        int port = freePort(), controllerPort = freePort();
        Path props = dir.resolve("server.properties");
        Files.writeString(props, String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + dir.resolve("data").toAbsolutePath(),
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=4",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                // lets the demo's workers use a short session, so a killed one is noticed in seconds
                "group.min.session.timeout.ms=1000",
                ""));
        String java = ProcessHandle.current().info().command().orElse("java");
        String cp = lib.toAbsolutePath() + "/*";
        Path log = dir.resolve("broker.log");
        Process format = new ProcessBuilder(java, "-Xmx256m", "-cp", cp, "kafka.tools.StorageTool", "format", "-t", clusterId(), "-c", props.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("format.log").toFile()).start();
        if (!format.waitFor(timeout.toSeconds(), TimeUnit.SECONDS) || format.exitValue() != 0) {
            format.destroyForcibly();
            throw new UnavailableException("formatting the broker's storage failed; see " + dir.resolve("format.log"), null);
        }
        Process broker = new ProcessBuilder(java, "-Xmx512m", "-XX:+UseSerialGC", "-cp", cp, "kafka.Kafka", props.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        KraftBroker b = new KraftBroker(broker, "127.0.0.1:" + port, log);
        try {
            b.awaitReady(timeout);
        } catch (UnavailableException e) {
            b.close();
            throw e;
        }
        return b;
    }

    private void awaitReady(Duration timeout) throws UnavailableException, InterruptedException {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        try (Admin admin = Admin.create(p)) {
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) throw new UnavailableException("the broker exited with " + process.exitValue() + "; see " + log, null);
                try {
                    admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                    admin.listTopics().names().get(5, TimeUnit.SECONDS);
                    return;
                } catch (Exception e) {
                    if (e instanceof InterruptedException ie) throw ie;
                    last = e;
                    Thread.sleep(500);
                }
            }
        }
        throw new UnavailableException("the broker did not answer within " + timeout.toSeconds() + " s; see " + log, last);
    }

    public String bootstrapServers() {
        return bootstrap;
    }

    public long pid() {
        return process.pid();
    }

    /** The version in the broker jar's name (kafka_2.13-4.1.1.jar). */
    static String kafkaVersion(Path lib) throws IOException {
        try (var files = Files.list(lib)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("kafka_2.13-") && n.endsWith(".jar"))
                    .map(n -> n.substring("kafka_2.13-".length(), n.length() - 4)).findFirst().orElse("?");
        }
    }

    /** A random cluster id as kafka-storage.sh random-uuid prints it (URL-safe base64 of 16 bytes). */
    static String clusterId() {
        UUID u = UUID.randomUUID();
        ByteBuffer b = ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
