package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 19: clients that send half a body cannot starve the server; each gets a 408 in JSON. */
class StalledUploadTest {
    private static final Duration IDLE = Duration.ofSeconds(3);
    /**
     * The idle timeout while 400 bodies stall: long against {@link #RESPONSIVE}, so a health check
     * that has to wait for a stalled request to time out (no thread free) fails clearly, while a
     * loaded test machine still answers within it.
     */
    private static final Duration STALL_IDLE = Duration.ofSeconds(15);
    private static final Duration RESPONSIVE = Duration.ofSeconds(4);
    /** Well above Jetty's default pool of 250 platform threads, which stalled bodies used to exhaust (the probe sent 300). */
    private static final int STALLED = 400;

    @TempDir
    Path dir;

    @Test
    void stalledBodiesLeaveHealthAndStatusResponsiveAndEndIn408Json() throws Exception {
        FakeModels models = new FakeModels(dir);
        HttpGuards guards = TestServers.FAKE_UPLOADS.withIdleTimeout(STALL_IDLE).withUploadsPerKey(STALLED);
        try (ApiServer server = ApiServer.start(TestServers.config(dir.resolve("data")), models.builder(8), guards)) {
            Http http = TestServers.client(server);
            String done = http.postJson("/api/generate/image", "{\"prompt\": \"x\", \"steps\": 1}").json().get("request_id").asText();
            List<Socket> stalled = new ArrayList<>();
            try {
                for (int i = 0; i < STALLED; i++) {
                    boolean json = i % 2 == 0;
                    stalled.add(halfABody(server, json ? "/api/generate/image" : "/api/understand/video", json));
                }
                Thread.sleep(300); // every handler is now blocked reading its body
                for (int i = 0; i < 5; i++) {
                    long t0 = System.nanoTime();
                    assertThat(http.get("/healthz").status()).isEqualTo(200);
                    assertThat(http.get("/api/requests/" + done).status()).isEqualTo(200);
                    assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("health and status while %d bodies stall", STALLED).isLessThan(RESPONSIVE);
                }
                assertThat(http.postJson("/api/generate/image", "{\"prompt\": \"y\", \"steps\": 1}").status()).isEqualTo(202);
                for (int i = 0; i < 2; i++) { // one JSON and one multipart body
                    String answer = readAll(stalled.get(i));
                    assertThat(answer).as(answer).startsWith("HTTP/1.1 408");
                    assertThat(answer.toLowerCase()).contains("content-type: application/json");
                    assertThat(answer).contains("\"request_timeout\"");
                }
            } finally {
                for (Socket s : stalled) s.close();
            }
        }
    }

    @Test
    void oneKeysConcurrentUploadsAreBounded() throws Exception {
        FakeModels models = new FakeModels(dir);
        HttpGuards guards = TestServers.FAKE_UPLOADS.withIdleTimeout(IDLE).withUploadsPerKey(2);
        try (ApiServer server = ApiServer.start(TestServers.config(dir.resolve("data")), models.builder(8), guards)) {
            List<Socket> stalled = new ArrayList<>();
            try {
                stalled.add(halfABody(server, "/api/understand/video", false));
                stalled.add(halfABody(server, "/api/understand/video", false));
                Thread.sleep(300);
                Http http = TestServers.client(server);
                Http.Reply third = http.postMultipart("/api/understand/video", new java.util.LinkedHashMap<>(java.util.Map.of("file", new byte[] {1}, "prompt", "x")));
                assertThat(third.status()).as(third.body()).isEqualTo(429);
                assertThat(third.errorCode()).isEqualTo("too_many_uploads");
                Http.Reply otherKey = http.withKey(TestServers.OTHER_KEY)
                        .postMultipart("/api/understand/video", new java.util.LinkedHashMap<>(java.util.Map.of("file", new byte[] {1}, "prompt", "x")));
                assertThat(otherKey.status()).as(otherKey.body()).isEqualTo(202);
            } finally {
                for (Socket s : stalled) s.close();
            }
        }
    }

    @Test
    void aTricklingBodyIs408EvenThoughItNeverGoesQuiet() throws Exception {
        FakeModels models = new FakeModels(dir);
        HttpGuards guards = TestServers.FAKE_UPLOADS.withIdleTimeout(IDLE);
        try (ApiServer server = ApiServer.start(TestServers.config(dir.resolve("data")), models.builder(8), guards)) {
            URI u = URI.create(server.url());
            try (Socket s = new Socket(u.getHost(), u.getPort())) {
                s.setSoTimeout((int) IDLE.multipliedBy(4).toMillis());
                OutputStream out = s.getOutputStream();
                out.write(("POST /api/generate/image HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestServers.KEY
                        + "\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"prompt\": \"").getBytes(StandardCharsets.UTF_8));
                out.flush();
                // 10 bytes every 300 ms: never silent for the idle timeout, far below the minimum rate
                Thread trickle = Thread.ofVirtual().start(() -> {
                    try {
                        for (int i = 0; i < 200; i++) {
                            Thread.sleep(300);
                            out.write("xxxxxxxxxx".getBytes(StandardCharsets.UTF_8));
                            out.flush();
                        }
                    } catch (Exception e) {
                        // the server closed the connection
                    }
                });
                long t0 = System.nanoTime();
                String answer = readAll(s);
                trickle.interrupt();
                assertThat(answer).as(answer).startsWith("HTTP/1.1 408");
                assertThat(answer).contains("\"request_timeout\"");
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("cut by the data rate, not the idle timeout").isLessThan(IDLE.multipliedBy(3));
            }
        }
    }

    /** A connection that sends the headers and half of the announced body, then nothing. */
    private static Socket halfABody(ApiServer server, String path, boolean json) throws Exception {
        URI u = URI.create(server.url());
        Socket s = new Socket(u.getHost(), u.getPort());
        s.setSoTimeout((int) STALL_IDLE.multipliedBy(3).toMillis());
        String boundary = "stall";
        String part = json ? "{\"prompt\": \"" + "x".repeat(200)
                : "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\nContent-Type: video/mp4\r\n\r\n" + "v".repeat(200);
        String head = "POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestServers.KEY + "\r\n"
                + "Content-Type: " + (json ? "application/json" : "multipart/form-data; boundary=" + boundary) + "\r\n"
                + "Content-Length: " + part.length() * 2 + "\r\n\r\n";
        OutputStream out = s.getOutputStream();
        out.write((head + part).getBytes(StandardCharsets.UTF_8));
        out.flush();
        return s;
    }

    /** The response's head and, when it announces a length, its body (the connection may stay open). */
    private static String readAll(Socket s) throws Exception {
        java.io.InputStream in = s.getInputStream();
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            got.write(b);
            if (got.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) break;
        }
        String head = got.toString(StandardCharsets.ISO_8859_1);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length:\\s*(\\d+)").matcher(head);
        byte[] body = m.find() ? in.readNBytes(Integer.parseInt(m.group(1))) : new byte[0];
        return head + new String(body, StandardCharsets.UTF_8);
    }
}
