package mmgp.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Hugging Face hub on loopback serving one folder as one repository at one commit, the way
 * huggingface.co does: {@code /api/models/{repo}/revision/{rev}} (sha + siblings),
 * {@code /api/models/{repo}/tree/{rev}?recursive=true} (paginated with a Link header; files with
 * git blob oid, LFS files with {@code lfs.oid} = sha256), and {@code /{repo}/resolve/{rev}/{path}}:
 * small files straight from the hub, LFS files as a 302 to a second server standing for the CDN,
 * which (like S3's pre-signed URLs) rejects requests that carry an Authorization header. Both honour
 * {@code Range: bytes=N-}. Faults can be injected per file.
 */
public final class FakeHub implements AutoCloseable {
    /** One request as the servers saw it. */
    public record Request(String server, String path, String range, String authorization) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    final String repo;
    volatile String commit;
    private final Map<String, byte[]> files = new TreeMap<>();
    private final HttpServer hub;
    private final HttpServer cdn;
    final List<Request> requests = new CopyOnWriteArrayList<>();

    private final Map<String, Long> dropAfter = new ConcurrentHashMap<>();
    private final Map<String, Boolean> corrupt = new ConcurrentHashMap<>();
    private final Map<String, Long> stallAfter = new ConcurrentHashMap<>();
    private final AtomicInteger failNextWith503 = new AtomicInteger();
    private volatile boolean ignoreRange;
    private volatile String requiredToken;
    private volatile int pageSize = 1000;
    private volatile String listedButAbsent;
    private volatile long bytesPerSecond; // 0: as fast as loopback goes

    /** One repository the hub serves: its files by path and the commit they form. */
    private record Repo(String name, Map<String, byte[]> files, String commit) {}

    /** Further repositories, by name (e.g. the one a single-file checkpoint takes its text encoder from). */
    private final Map<String, Repo> others = new ConcurrentHashMap<>();

    public FakeHub(Path folder, String repo) throws IOException {
        this.repo = repo;
        Repo main = load(folder, repo);
        files.putAll(main.files());
        this.commit = main.commit();
        InetAddress loopback = InetAddress.getLoopbackAddress();
        hub = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        cdn = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        hub.createContext("/", this::hub);
        cdn.createContext("/", this::cdn);
        hub.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        cdn.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        hub.start();
        cdn.start();
    }

    private static Repo load(Path folder, String repo) throws IOException {
        List<Path> all;
        try (var s = Files.walk(folder)) {
            all = s.filter(Files::isRegularFile).sorted().toList();
        }
        Map<String, byte[]> files = new TreeMap<>();
        for (Path p : all) files.put(folder.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
        return new Repo(repo, files, commitOf(files));
    }

    /** A commit id that changes with any file of the repository, as git's does. */
    private static String commitOf(Map<String, byte[]> files) {
        MessageDigest commitHash = sha("SHA-1");
        for (var e : files.entrySet()) {
            commitHash.update(e.getKey().getBytes(StandardCharsets.UTF_8));
            commitHash.update(e.getValue());
        }
        return HexFormat.of().formatHex(commitHash.digest());
    }

    /**
     * Commits {@code bytes} as {@code path} to {@code repo} (the main one or one of {@link #alsoServe}):
     * its main branch moves to the new commit, which is returned.
     */
    public synchronized String commit(String repo, String path, byte[] bytes) {
        if (repo.equals(this.repo)) {
            files.put(path, bytes);
            commit = commitOf(files);
            return commit;
        }
        Repo r = others.get(repo);
        if (r == null) throw new IllegalArgumentException("fake hub: no repository " + repo);
        Map<String, byte[]> changed = new TreeMap<>(r.files());
        changed.put(path, bytes);
        Repo moved = new Repo(repo, changed, commitOf(changed));
        others.put(repo, moved);
        return moved.commit();
    }

    /** Serves {@code folder} as the repository {@code repo} too; returns its commit. */
    public String alsoServe(Path folder, String repo) throws IOException {
        Repo r = load(folder, repo);
        others.put(repo, r);
        return r.commit();
    }

    /** The repository a request path names ({@code /api/models/{repo}/…} or {@code /{repo}/resolve/…}), else the main one. */
    private Repo repoOf(String path) {
        for (Repo r : others.values()) {
            if (path.startsWith("/api/models/" + r.name() + "/") || path.startsWith("/" + r.name() + "/resolve/")) return r;
        }
        return new Repo(repo, files, commit);
    }

    public String endpoint() {
        return "http://" + hub.getAddress().getAddress().getHostAddress() + ":" + hub.getAddress().getPort();
    }

    byte[] content(String path) {
        return files.get(path);
    }

    /** The real hub stores weights and sentencepiece models in LFS. */
    static boolean isLfs(String path) {
        return path.endsWith(".safetensors") || path.endsWith(".model") || path.endsWith(".bin") || path.endsWith(".gguf");
    }

    /** The first transfer of {@code path} stops after {@code bytes} bytes and the connection is closed. */
    public void dropConnectionOnce(String path, long bytes) {
        dropAfter.put(path, bytes);
    }

    /** The first transfer of {@code path} sends {@code bytes} bytes and then nothing, keeping the connection open. */
    void stallOnce(String path, long bytes) {
        stallAfter.put(path, bytes);
    }

    /** Files are sent at about {@code rate} bytes per second, in 16 KiB pieces (a slow link, so progress events happen). */
    public void pace(long rate) {
        bytesPerSecond = rate;
    }

    /** Every transfer of {@code path} has one byte flipped. */
    void corrupt(String path) {
        corrupt.put(path, true);
    }

    /** Range headers are ignored: every transfer is a 200 with the whole file. */
    void ignoreRange() {
        ignoreRange = true;
    }

    /** The next {@code n} requests to the hub get a 503. */
    void failNext(int n) {
        failNextWith503.set(n);
    }

    /** The tree listing also names {@code path} (a crafted or broken hub), which it cannot serve. */
    void alsoList(String path) {
        listedButAbsent = path;
    }

    /** The repository becomes gated: the hub wants {@code Authorization: Bearer token}. */
    void requireToken(String token) {
        requiredToken = token;
    }

    void pageSize(int n) {
        pageSize = n;
    }

    public List<Request> requestsFor(String suffix) {
        return requests.stream().filter(r -> r.path().endsWith(suffix)).toList();
    }

    private void hub(HttpExchange ex) throws IOException {
        String path = URLDecoder.decode(ex.getRequestURI().getRawPath(), StandardCharsets.UTF_8);
        requests.add(new Request("hub", path, ex.getRequestHeaders().getFirst("Range"), ex.getRequestHeaders().getFirst("Authorization")));
        try (ex) {
            if (failNextWith503.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                error(ex, 503, null, "Service Unavailable");
                return;
            }
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (requiredToken != null && auth == null) {
                error(ex, 401, "GatedRepo", "Access to model " + repo + " is restricted. You must have access to it and be authenticated to access it.");
                return;
            }
            if (requiredToken != null && !auth.equals("Bearer " + requiredToken)) {
                error(ex, 403, "GatedRepo", "Access to model " + repo + " is restricted and you are not in the authorized list.");
                return;
            }
            Repo r = repoOf(path);
            String repo = r.name(), commit = r.commit();
            Map<String, byte[]> files = r.files();
            String api = "/api/models/" + repo + "/";
            if (path.startsWith(api + "revision/")) {
                String rev = path.substring((api + "revision/").length());
                if (!knownRevision(r, rev)) {
                    error(ex, 404, "RevisionNotFound", "Invalid rev id: " + rev);
                    return;
                }
                ObjectNode info = JSON.createObjectNode().put("id", repo).put("sha", commit);
                ArrayNode siblings = info.putArray("siblings");
                files.keySet().forEach(f -> siblings.addObject().put("rfilename", f));
                json(ex, info);
            } else if (path.startsWith(api + "tree/")) {
                String rev = path.substring((api + "tree/").length());
                if (!knownRevision(r, rev)) {
                    error(ex, 404, "RevisionNotFound", "Invalid rev id: " + rev);
                    return;
                }
                tree(ex, r, rev);
            } else if (path.startsWith("/" + repo + "/resolve/")) {
                String rest = path.substring(("/" + repo + "/resolve/").length());
                int slash = rest.indexOf('/');
                String rev = rest.substring(0, slash), file = rest.substring(slash + 1);
                if (!knownRevision(r, rev) || !files.containsKey(file)) {
                    error(ex, 404, "EntryNotFound", file + " does not exist on \"" + rev + "\"");
                    return;
                }
                if (isLfs(file)) {
                    // Like the real hub: a 302 to a signed CDN URL on another host.
                    String location = "http://" + cdn.getAddress().getAddress().getHostAddress() + ":" + cdn.getAddress().getPort()
                            + "/repos/" + sha256(files.get(file)) + "?X-Amz-Signature=fake&repo=" + repo.replace("/", "%2F") + "&file=" + file.replace("/", "%2F");
                    ex.getResponseHeaders().add("Location", location);
                    ex.getResponseHeaders().add("X-Linked-Size", String.valueOf(files.get(file).length));
                    ex.sendResponseHeaders(302, -1);
                    return;
                }
                serve(ex, files, file);
            } else if (path.startsWith("/api/models/") || path.contains("/resolve/")) {
                // The real hub answers 401 for repositories it does not know, so private ones stay hidden.
                error(ex, 401, "RepoNotFound", "Repository Not Found for url: " + path);
            } else {
                error(ex, 404, null, "Not Found");
            }
        }
    }

    private void cdn(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        requests.add(new Request("cdn", path, ex.getRequestHeaders().getFirst("Range"), ex.getRequestHeaders().getFirst("Authorization")));
        try (ex) {
            if (ex.getRequestHeaders().getFirst("Authorization") != null) {
                error(ex, 400, null, "<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>");
                return;
            }
            String query = ex.getRequestURI().getRawQuery();
            String file = URLDecoder.decode(query.substring(query.indexOf("file=") + 5), StandardCharsets.UTF_8);
            int at = query.indexOf("repo=");
            String repoName = at < 0 ? repo : URLDecoder.decode(query.substring(at + 5).split("&")[0], StandardCharsets.UTF_8);
            serve(ex, others.containsKey(repoName) ? others.get(repoName).files() : files, file);
        }
    }

    /** Sends a file, honouring Range and the injected faults. */
    private void serve(HttpExchange ex, Map<String, byte[]> files, String file) throws IOException {
        byte[] bytes = files.get(file);
        if (corrupt.containsKey(file)) {
            bytes = bytes.clone();
            bytes[bytes.length / 2] ^= 0x40;
        }
        long from = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null && !ignoreRange) {
            if (!range.matches("bytes=\\d+-")) throw new IOException("fake hub: unsupported Range " + range);
            from = Long.parseLong(range.substring(6, range.length() - 1));
            if (from >= bytes.length) {
                ex.getResponseHeaders().add("Content-Range", "bytes */" + bytes.length);
                ex.sendResponseHeaders(416, -1);
                return;
            }
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (bytes.length - 1) + "/" + bytes.length);
        }
        ex.getResponseHeaders().add("Accept-Ranges", "bytes");
        ex.getResponseHeaders().add("Content-Type", "application/octet-stream");
        int length = (int) (bytes.length - from);
        ex.sendResponseHeaders(from > 0 ? 206 : 200, length);
        OutputStream out = ex.getResponseBody();
        Long drop = dropAfter.remove(file);
        Long stall = stallAfter.remove(file);
        Long cut = drop != null ? drop : stall;
        if (cut != null && cut < length) {
            out.write(bytes, (int) from, cut.intValue());
            out.flush();
            if (stall != null) {
                try {
                    Thread.sleep(30_000);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            }
            // Fewer bytes than Content-Length, then close: the client sees the connection drop.
            throw new IOException("fake hub: connection dropped on purpose");
        }
        long rate = bytesPerSecond;
        if (rate <= 0) {
            out.write(bytes, (int) from, length);
            return;
        }
        for (int off = 0; off < length; off += 16384) {
            int n = Math.min(16384, length - off);
            out.write(bytes, (int) from + off, n);
            out.flush();
            try {
                Thread.sleep(Math.max(1, n * 1000L / rate));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("fake hub: interrupted");
            }
        }
    }

    private void tree(HttpExchange ex, Repo r, String rev) throws IOException {
        Map<String, byte[]> files = r.files();
        String repo = r.name();
        String query = ex.getRequestURI().getRawQuery() == null ? "" : ex.getRequestURI().getRawQuery();
        if (!query.contains("recursive=true")) throw new IOException("fake hub: the client should ask for the recursive tree");
        List<ObjectNode> entries = new ArrayList<>();
        TreeMap<String, Boolean> dirs = new TreeMap<>();
        for (String f : files.keySet()) {
            String[] parts = f.split("/");
            for (int i = 1; i < parts.length; i++) dirs.put(String.join("/", Arrays.copyOf(parts, i)), true);
        }
        for (String d : dirs.keySet()) entries.add(JSON.createObjectNode().put("type", "directory").put("oid", "0".repeat(40)).put("size", 0).put("path", d));
        for (var e : files.entrySet()) {
            byte[] b = e.getValue();
            ObjectNode n = JSON.createObjectNode().put("type", "file");
            if (isLfs(e.getKey())) {
                String pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + sha256(b) + "\nsize " + b.length + "\n";
                n.put("oid", Checksums.gitBlobSha1(pointer.getBytes(StandardCharsets.UTF_8))).put("size", b.length).put("path", e.getKey());
                n.putObject("lfs").put("oid", sha256(b)).put("size", b.length).put("pointerSize", pointer.length());
            } else {
                n.put("oid", Checksums.gitBlobSha1(b)).put("size", b.length).put("path", e.getKey());
            }
            entries.add(n);
        }
        String extra = listedButAbsent;
        if (extra != null) entries.add(JSON.createObjectNode().put("type", "file").put("oid", "0".repeat(40)).put("size", 1).put("path", extra));
        int from = 0;
        int cursor = query.indexOf("cursor=");
        if (cursor >= 0) from = Integer.parseInt(query.substring(cursor + 7).split("&")[0]);
        int to = Math.min(entries.size(), from + pageSize);
        ArrayNode page = JSON.createArrayNode();
        entries.subList(from, to).forEach(page::add);
        if (to < entries.size()) {
            ex.getResponseHeaders().add("Link", "<" + endpoint() + "/api/models/" + repo + "/tree/" + rev + "?recursive=true&cursor=" + to + ">; rel=\"next\"");
        }
        json(ex, page);
    }

    private static boolean knownRevision(Repo r, String rev) {
        return rev.equals("main") || rev.equals(r.commit());
    }

    private static void json(HttpExchange ex, Object body) throws IOException {
        byte[] b = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(200, b.length);
        ex.getResponseBody().write(b);
    }

    private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
        if (code != null) ex.getResponseHeaders().add("X-Error-Code", code);
        ex.getResponseHeaders().add("X-Error-Message", message);
        byte[] b = JSON.writeValueAsBytes(Map.of("error", message));
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    static String sha256(byte[] b) {
        return HexFormat.of().formatHex(sha("SHA-256").digest(b));
    }

    private static MessageDigest sha(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
    }
}
