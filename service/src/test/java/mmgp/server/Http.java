package mmgp.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A small HTTP client for the tests: JSON in and out, multipart uploads, an optional API key. */
final class Http {
    static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String key;

    Http(String base, String key) {
        this.base = base;
        this.key = key;
    }

    Http withKey(String k) {
        return new Http(base, k);
    }

    record Reply(int status, String body, Map<String, List<String>> headers) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }

        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(e -> e.getValue().getFirst()).findFirst().orElse(null);
        }

        /** The error object's code, for 4xx/5xx answers. */
        String errorCode() {
            return json().path("error").path("code").asText();
        }

        String errorField() {
            return json().path("error").path("field").asText(null);
        }
    }

    Reply get(String path) {
        return send(request(path).GET());
    }

    Reply delete(String path) {
        return send(request(path).DELETE());
    }

    Reply postJson(String path, String json) {
        return send(request(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    Reply method(String method, String path) {
        return send(request(path).method(method, HttpRequest.BodyPublishers.noBody()));
    }

    /** A multipart/form-data POST; a value of type byte[] is sent as a file part named after the field. */
    Reply postMultipart(String path, Map<String, Object> fields) {
        String boundary = "----mmgp" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            body.writeBytes(("--" + boundary + "\r\n").getBytes(StandardCharsets.UTF_8));
            if (e.getValue() instanceof byte[] bytes) {
                body.writeBytes(("Content-Disposition: form-data; name=\"" + e.getKey() + "\"; filename=\"clip.mp4\"\r\nContent-Type: video/mp4\r\n\r\n").getBytes(StandardCharsets.UTF_8));
                body.writeBytes(bytes);
            } else {
                body.writeBytes(("Content-Disposition: form-data; name=\"" + e.getKey() + "\"\r\n\r\n" + e.getValue()).getBytes(StandardCharsets.UTF_8));
            }
            body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return send(request(path).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
    }

    byte[] download(String path) {
        try {
            HttpResponse<byte[]> r = client.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) throw new AssertionError("GET " + path + " → " + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
            return r.body();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** The raw SSE stream until the server ends it (or {@code timeout}). */
    List<String[]> events(String path, Duration timeout) {
        return events(path, timeout, e -> { });
    }

    /** As {@link #events(String, Duration)}, handing each event to {@code onEvent} as it arrives. */
    List<String[]> events(String path, Duration timeout, java.util.function.Consumer<String[]> onEvent) {
        try {
            HttpResponse<java.util.stream.Stream<String>> r = client.send(request(path).timeout(timeout).header("Accept", "text/event-stream").GET().build(),
                    HttpResponse.BodyHandlers.ofLines());
            if (r.statusCode() != 200) throw new AssertionError("GET " + path + " → " + r.statusCode());
            List<String[]> out = new ArrayList<>();
            String event = null;
            for (String line : (Iterable<String>) r.body()::iterator) {
                if (line.startsWith("event:")) event = line.substring(6).strip();
                else if (line.startsWith("data:")) {
                    String[] e = {event, line.substring(5).strip()};
                    out.add(e);
                    onEvent.accept(e);
                }
            }
            return out;
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        if (key != null) b.header("Authorization", "Bearer " + key);
        return b;
    }

    Reply send(HttpRequest.Builder b) {
        try {
            HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body(), r.headers().map());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Polls until the job reaches a final status; returns its description. */
    JsonNode awaitEnd(String id, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Reply r = get("/api/requests/" + id);
            if (r.status() != 200) throw new AssertionError("status of " + id + " → " + r.status() + ": " + r.body());
            JsonNode n = r.json();
            String s = n.get("status").asText();
            if (s.equals("done") || s.equals("failed") || s.equals("cancelled")) return n;
            if (System.nanoTime() > deadline) throw new AssertionError("request " + id + " still " + s + " after " + timeout);
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
