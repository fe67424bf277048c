package mmgp.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Hugging Face hub's HTTP API, the parts a pull needs: resolve a revision to its commit, list
 * the files of that commit with sizes and checksums, and open a file (optionally from a byte
 * offset). Redirects are followed here, not by {@link HttpClient}, so the token is only ever sent
 * to the hub itself: the CDN's pre-signed URLs reject a second credential.
 */
public final class HubClient {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
    private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
    private static final int MAX_REDIRECTS = 10;
    /** How long to wait for a connection; an offline machine should hear so within seconds. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(4);
    /** Attempts when the host cannot be reached at all (refused, unknown, no route, no answer). */
    static final int UNREACHABLE_ATTEMPTS = 2;

    private final String endpoint;
    private final String token;
    private final HttpClient http;
    private final RetryPolicy retry;

    /**
     * @param endpoint the hub's base URL, e.g. https://huggingface.co or a mirror
     * @param token    an access token for gated and private repositories, or null
     */
    public HubClient(String endpoint, String token, RetryPolicy retry) {
        URI uri = URI.create(Objects.requireNonNull(endpoint, "endpoint"));
        if (uri.getScheme() == null || !Set.of("http", "https").contains(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("hub endpoint '" + endpoint + "' is not an http(s) URL");
        }
        this.endpoint = endpoint.replaceAll("/+$", "");
        this.token = token == null || token.isBlank() ? null : token.strip();
        this.retry = retry;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(CONNECT_TIMEOUT).build();
    }

    /** Endpoint from {@code endpointOverride}, else HF_ENDPOINT, else huggingface.co; token from HF_TOKEN. */
    public static HubClient fromEnvironment(String endpointOverride) {
        String endpoint = endpointOverride != null ? endpointOverride : System.getenv().getOrDefault("HF_ENDPOINT", DEFAULT_ENDPOINT);
        return new HubClient(endpoint, System.getenv("HF_TOKEN"), RetryPolicy.DEFAULT);
    }

    public String endpoint() {
        return endpoint;
    }

    public RetryPolicy retryPolicy() {
        return retry;
    }

    /** The commit sha that {@code revision} (a branch, tag or sha) of {@code repo} points to now. */
    public String resolveCommit(String repo, String revision) throws IOException {
        JsonNode info = getJson(endpoint + "/api/models/" + repo + "/revision/" + encode(revision), repo, "revision '" + revision + "' of " + repo);
        String sha = info.path("sha").asText("");
        if (!sha.matches("[0-9a-f]{40}")) throw new IOException("the hub's answer for " + repo + "@" + revision + " has no commit sha: " + abbreviate(info.toString()));
        return sha;
    }

    /** One page of the tree listing and the URL of the next one (from the Link header), if any. */
    private record Page(JsonNode entries, String next) {}

    /** Every file of {@code repo} at {@code commit} with size and checksums (the recursive tree API, all pages). */
    public List<HubFile> listFiles(String repo, String commit) throws IOException {
        List<HubFile> files = new ArrayList<>();
        String url = endpoint + "/api/models/" + repo + "/tree/" + encode(commit) + "?recursive=true";
        for (int page = 0; url != null; page++) {
            if (page > 10_000) throw new IOException("the hub's file listing of " + repo + " does not end");
            String what = "file list of " + repo + "@" + commit, pageUrl = url;
            Page p = withRetries(what, () -> {
                HttpResponse<InputStream> r = checked(send(URI.create(pageUrl), null), repo, what);
                try (InputStream in = r.body()) {
                    return new Page(JSON.readTree(in), r.headers().firstValue("Link").map(HubClient::nextLink).orElse(null));
                }
            });
            JsonNode entries = p.entries();
            if (!entries.isArray()) throw new IOException("the hub's " + what + " is not a JSON array: " + abbreviate(entries.toString()));
            for (JsonNode e : entries) {
                if (!"file".equals(e.path("type").asText())) continue;
                JsonNode lfs = e.get("lfs");
                files.add(new HubFile(safePath(e.path("path").asText(), repo), e.path("size").asLong(-1), e.path("oid").asText(null),
                        lfs == null || lfs.isNull() ? null : lfs.path("oid").asText(null)));
            }
            url = p.next() == null ? null : URI.create(pageUrl).resolve(p.next()).toString();
        }
        for (HubFile f : files) {
            if (f.size() < 0 || f.gitOid() == null) throw new IOException("the hub lists " + repo + "/" + f.path() + " without size or oid");
        }
        return files;
    }

    /**
     * Opens {@code path} of {@code repo} at {@code commit}, from byte {@code from} when above 0.
     * Returns the raw response: 200 (whole file), 206 (from {@code from}) or 416 (nothing left);
     * other errors are thrown as {@link HubException}.
     */
    public HttpResponse<InputStream> openFile(String repo, String commit, String path, long from) throws IOException {
        String url = endpoint + "/" + repo + "/resolve/" + encode(commit) + "/" + encodePath(path);
        HttpResponse<InputStream> r = send(URI.create(url), from > 0 ? "bytes=" + from + "-" : null);
        if (r.statusCode() == 416) return r;
        return checked(r, repo, repo + "/" + path + "@" + commit);
    }

    /** One GET, following redirects by hand; the token goes only to the hub's own host. */
    private HttpResponse<InputStream> send(URI uri, String range) throws IOException {
        URI current = uri;
        URI hub = URI.create(endpoint);
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(current).GET().timeout(Duration.ofSeconds(60)).header("User-Agent", "mmgp/0.1");
            if (range != null) b.header("Range", range);
            if (token != null && Objects.equals(current.getRawAuthority(), hub.getRawAuthority()) && Objects.equals(current.getScheme(), hub.getScheme())) {
                b.header("Authorization", "Bearer " + token);
            }
            HttpResponse<InputStream> r;
            try {
                r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while requesting " + current);
            }
            if (!REDIRECTS.contains(r.statusCode())) return r;
            r.body().close();
            String location = r.headers().firstValue("Location").orElseThrow(() -> new IOException("redirect without Location from " + uri));
            current = current.resolve(location);
        }
        throw new IOException("more than " + MAX_REDIRECTS + " redirects from " + uri);
    }

    private JsonNode getJson(String url, String repo, String what) throws IOException {
        return withRetries(what, () -> {
            HttpResponse<InputStream> r = checked(send(URI.create(url), null), repo, what);
            try (InputStream in = r.body()) {
                return JSON.readTree(in);
            }
        });
    }

    /**
     * Runs {@code call} again after network errors and 5xx/429 answers, waiting longer each time.
     * A host that cannot be reached at all is tried {@link #UNREACHABLE_ATTEMPTS} times only, and
     * then reported as such, so that an offline machine learns it in seconds rather than after
     * the whole backoff.
     */
    <T> T withRetries(String what, RetryPolicy.Call<T> call) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return call.run();
            } catch (IOException e) {
                String unreachable = unreachableReason(e);
                int limit = unreachable != null ? Math.min(UNREACHABLE_ATTEMPTS, retry.maxAttempts()) : retry.maxAttempts();
                if (!RetryPolicy.isTransient(e) || attempt >= limit) {
                    if (unreachable == null) throw e;
                    throw new IOException("cannot reach " + URI.create(endpoint).getHost() + " (" + unreachable + ", " + attempt + " attempt" + (attempt == 1 ? "" : "s")
                            + ") for the " + what + ". Check the network connection, or point --endpoint / HF_ENDPOINT at a reachable mirror.", e);
                }
                retry.pause(attempt);
            }
        }
    }

    /** Why no connection could be made at all, or null when {@code e} is another failure (a cut download, an HTTP error). */
    static String unreachableReason(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.net.http.HttpConnectTimeoutException) return "no answer within " + CONNECT_TIMEOUT.toSeconds() + " s";
            if (c instanceof java.net.UnknownHostException) return "unknown host";
            if (c instanceof java.net.NoRouteToHostException) return "no route to host";
            if (c instanceof java.net.ConnectException) return "connection refused";
        }
        return null;
    }

    /** Passes 2xx through; turns anything else into a {@link HubException} that says what to do. */
    HttpResponse<InputStream> checked(HttpResponse<InputStream> r, String repo, String what) throws IOException {
        int s = r.statusCode();
        if (s >= 200 && s < 300) return r;
        String detail = r.headers().firstValue("X-Error-Message").orElse(null);
        String code = r.headers().firstValue("X-Error-Code").orElse(null);
        try (InputStream in = r.body()) {
            if (detail == null) {
                String body = new String(in.readNBytes(500), StandardCharsets.UTF_8).strip();
                if (!body.isEmpty()) detail = body;
            }
        } catch (IOException ignored) {
            // the status says enough
        }
        String extra = (code != null ? " [" + code + "]" : "") + (detail != null ? ": " + abbreviate(detail) : "");
        String page = endpoint + "/" + repo;
        if (!Objects.equals(r.uri().getRawAuthority(), URI.create(endpoint).getRawAuthority())) {
            // A redirect target (the CDN) refused: its errors say nothing about tokens or gating.
            throw new HubException(s, what + ": the download server " + r.uri().getHost() + " answered HTTP " + s + extra);
        }
        String message = switch (s) {
            case 401 -> token == null
                    ? what + ": the hub answered 401 Unauthorized" + extra + ". The repository is gated or private (or does not exist): "
                      + "if it exists, accept its terms at " + page + " and set HF_TOKEN to an access token with read permission."
                    : what + ": the hub refused the HF_TOKEN (401 Unauthorized)" + extra + ". Check that the token is valid and has read access to " + repo + ".";
            case 403 -> what + ": 403 Forbidden" + extra + ". " + repo + " is gated and this HF_TOKEN has no access: accept its terms at " + page
                    + " with the token's account, or use a token with access.";
            case 404 -> what + ": not found (404)" + extra + ". Check the repository id and the revision.";
            default -> what + ": HTTP " + s + extra;
        };
        throw new HubException(s, message);
    }

    private static String nextLink(String header) {
        Matcher m = NEXT_LINK.matcher(header);
        return m.find() ? m.group(1) : null;
    }

    /** Tree paths become local paths: refuse anything that could leave the download folder. */
    private static String safePath(String path, String repo) throws IOException {
        if (path.isEmpty() || path.startsWith("/") || path.contains("\\") || path.contains("\0") || path.contains(":")
                || Arrays.stream(path.split("/")).anyMatch(p -> p.isEmpty() || p.equals(".") || p.equals(".."))) {
            throw new IOException("the hub lists an unsafe path in " + repo + ": '" + path + "'");
        }
        return path;
    }

    static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String encodePath(String path) {
        return String.join("/", Arrays.stream(path.split("/")).map(HubClient::encode).toList());
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
}
