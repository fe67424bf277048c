package mmgp.cluster;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throw-away PostgreSQL for the demo and the cluster test, on loopback and a free port:
 * Debian's server binaries (/usr/lib/postgresql/N/bin, package postgresql) when installed, else
 * the embedded PostgreSQL of io.zonky.test. PostgreSQL refuses to run as root, so as root (a
 * container) the server runs as the {@code postgres} user through {@code setpriv}.
 * {@code -Dmmgp.postgres=embedded} picks the embedded one even where Debian's is installed.
 */
public final class LocalPostgres implements AutoCloseable {
    private final Process server;
    private final EmbeddedPostgres embedded;
    private final int port;
    private final String user;
    private final Path base;

    private LocalPostgres(Process server, EmbeddedPostgres embedded, int port, String user, Path base) {
        this.base = base;
        this.server = server;
        this.embedded = embedded;
        this.port = port;
        this.user = user;
    }

    public static LocalPostgres start(Path dir, Duration timeout) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path bin = "embedded".equals(System.getProperty("mmgp.postgres")) ? null : debianBinaries();
        boolean root = isRoot();
        if (bin == null) {
            if (root) throw new IOException("PostgreSQL refuses to run as root: install Debian's server (apt-get install postgresql) or run as another user");
            EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(dir.resolve("embedded-pg")).setCleanDataDirectory(true).start();
            return new LocalPostgres(null, pg, pg.getPort(), "postgres", null);
        }
        // A folder the server's user owns, under one it can traverse (test and temp folders are often 700 and root's).
        Path base = Files.createTempDirectory(Path.of("/tmp"), "mmgp-pg-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path data = Files.createDirectory(base.resolve("data"));
        List<String> asUser = new ArrayList<>();
        if (root) {
            UserPrincipal pgUser = data.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            Files.setOwner(data, pgUser);
            asUser.addAll(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"));
        }
        List<String> initdb = new ArrayList<>(asUser);
        initdb.addAll(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "mmgp", "-A", "trust", "-E", "UTF8", "--no-sync"));
        Process init = new ProcessBuilder(initdb).redirectErrorStream(true).redirectOutput(dir.resolve("initdb.log").toFile()).start();
        if (!init.waitFor(timeout.toSeconds(), TimeUnit.SECONDS) || init.exitValue() != 0) {
            throw new IOException("initdb failed; see " + dir.resolve("initdb.log"));
        }
        int port = KraftBroker.freePort();
        List<String> postgres = new ArrayList<>(asUser);
        postgres.addAll(List.of(bin.resolve("postgres").toString(), "-D", data.toString(), "-p", Integer.toString(port), "-h", "127.0.0.1",
                "-k", data.toString(), "-c", "fsync=off", "-c", "max_connections=100"));
        Process server = new ProcessBuilder(postgres).redirectErrorStream(true).redirectOutput(dir.resolve("postgres.log").toFile()).start();
        LocalPostgres pg = new LocalPostgres(server, null, port, "mmgp", base);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try (var c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), "")) {
                return pg;
            } catch (SQLException e) {
                if (!server.isAlive() || System.nanoTime() > deadline) {
                    pg.close();
                    throw new IOException("PostgreSQL did not start; see " + dir.resolve("postgres.log"), e);
                }
                Thread.sleep(200);
            }
        }
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    public String user() {
        return user;
    }

    /** Where it comes from, for the demo's log. */
    public String describe() {
        return (embedded != null ? "embedded PostgreSQL (io.zonky.test)" : "PostgreSQL server") + " on 127.0.0.1:" + port
                + (server != null ? " (pid " + server.pid() + ")" : "");
    }

    private static Path debianBinaries() throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) return null;
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("postgres")) && Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.comparing(b -> versionOf(b.getParent()))).orElse(null);
        }
    }

    private static int versionOf(Path p) {
        try {
            return Integer.parseInt(p.getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static boolean isRoot() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public void close() {
        if (embedded != null) {
            try {
                embedded.close();
            } catch (IOException ignored) {
                // a temp folder left behind
            }
        }
        if (server != null) {
            server.destroy(); // SIGTERM: a "smart" shutdown
            try {
                if (!server.waitFor(20, TimeUnit.SECONDS)) server.destroyForcibly();
            } catch (InterruptedException e) {
                server.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        if (base != null) {
            try (Stream<Path> all = Files.walk(base)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a temp folder left behind
            }
        }
    }
}
