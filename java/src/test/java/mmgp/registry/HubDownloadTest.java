package mmgp.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HubClient + ResumableDownload against the loopback fake hub, with injected faults. */
class HubDownloadTest {
    static final String REPO = "test-org/tiny-model";
    static final String WEIGHTS = "text_encoder/model.safetensors";
    static final String CONFIG = "text_encoder/config.json";
    static final String EMPTY = "text_encoder/empty.txt";
    static final RetryPolicy FAST = new RetryPolicy(4, Duration.ofMillis(10), Duration.ofMillis(40), Duration.ofSeconds(20));

    @TempDir
    Path tmp;
    FakeHub hub;
    Path downloads;
    final List<String> events = new CopyOnWriteArrayList<>();
    final PullListener recorder = new PullListener() {
        @Override
        public void fileStarted(String path, long size, long resumedFrom) {
            events.add("start " + path + " from " + resumedFrom);
        }

        @Override
        public void fileDone(String path, long size, boolean cached) {
            events.add((cached ? "cached " : "done ") + path);
        }

        @Override
        public void discarded(String path, long bytes) {
            events.add("discard " + path + " " + bytes);
        }

        @Override
        public void retrying(String path, int attempt, String reason) {
            events.add("retry " + path + ": " + reason);
        }
    };

    @BeforeEach
    void serve() throws Exception {
        Path repo = tmp.resolve("repo");
        Files.createDirectories(repo.resolve("text_encoder"));
        Files.writeString(repo.resolve("model_index.json"), "{\"_class_name\": \"TinyPipeline\"}\n");
        Files.writeString(repo.resolve(CONFIG), "{\"hidden_size\": 8}\n");
        byte[] weights = new byte[400_000];
        new Random(1).nextBytes(weights);
        Files.write(repo.resolve(WEIGHTS), weights);
        hub = new FakeHub(repo, REPO);
        downloads = tmp.resolve("downloads");
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    HubClient client(String token, RetryPolicy retry) {
        return new HubClient(hub.endpoint(), token, retry);
    }

    HubFile file(HubClient c, String path) throws Exception {
        return c.listFiles(REPO, hub.commit).stream().filter(f -> f.path().equals(path)).findFirst().orElseThrow();
    }

    String fetch(HubClient c, String path) throws Exception {
        return ResumableDownload.fetch(c, REPO, hub.commit, file(c, path), downloads.resolve(path), recorder);
    }

    @Test
    void resolvesTheCommitAndListsEveryPageWithTheHubsChecksums() throws Exception {
        hub.pageSize(2);
        HubClient c = client(null, FAST);
        assertThat(c.resolveCommit(REPO, "main")).isEqualTo(hub.commit);
        Map<String, HubFile> files = c.listFiles(REPO, hub.commit).stream().collect(Collectors.toMap(HubFile::path, Function.identity()));
        assertThat(files.keySet()).containsExactlyInAnyOrder("model_index.json", CONFIG, WEIGHTS);
        assertThat(hub.requests.stream().filter(r -> r.path().contains("/tree/")).count()).as("tree pages (1 directory + 3 files, 2 per page)").isEqualTo(2);
        HubFile w = files.get(WEIGHTS);
        assertThat(w.isLfs()).isTrue();
        assertThat(w.size()).isEqualTo(400_000);
        assertThat(w.lfsSha256()).isEqualTo(FakeHub.sha256(hub.content(WEIGHTS)));
        HubFile cfg = files.get(CONFIG);
        assertThat(cfg.isLfs()).isFalse();
        assertThat(cfg.gitOid()).isEqualTo(Checksums.gitBlobSha1(hub.content(CONFIG)));
    }

    @Test
    void resumesWithARangeRequestAfterTheConnectionDrops() throws Exception {
        hub.dropConnectionOnce(WEIGHTS, 150_000);
        HubClient c = client(null, FAST);
        String sha = fetch(c, WEIGHTS);
        assertThat(Files.readAllBytes(downloads.resolve(WEIGHTS))).isEqualTo(hub.content(WEIGHTS));
        assertThat(sha).isEqualTo(FakeHub.sha256(hub.content(WEIGHTS)));
        List<String> ranges = hub.requests.stream().filter(r -> r.server().equals("cdn")).map(FakeHub.Request::range).toList();
        assertThat(ranges).hasSize(2);
        assertThat(ranges.get(0)).isNull();
        assertThat(ranges.get(1)).matches("bytes=\\d+-");
        long resumedAt = Long.parseLong(ranges.get(1).replaceAll("\\D", ""));
        assertThat(resumedAt).isBetween(1L, 150_000L);
        assertThat(events).anyMatch(e -> e.startsWith("retry " + WEIGHTS)).contains("start " + WEIGHTS + " from " + resumedAt);
        assertThat(downloads.resolve(WEIGHTS + ".part")).doesNotExist();
    }

    @Test
    void startsOverWhenTheServerIgnoresTheRange() throws Exception {
        hub.dropConnectionOnce(WEIGHTS, 150_000);
        hub.ignoreRange();
        fetch(client(null, FAST), WEIGHTS);
        assertThat(Files.readAllBytes(downloads.resolve(WEIGHTS))).isEqualTo(hub.content(WEIGHTS));
        assertThat(hub.requests.stream().filter(r -> r.server().equals("cdn") && r.range() != null)).as("the client did ask to resume").hasSize(1);
        assertThat(events).contains("start " + WEIGHTS + " from 0");
    }

    @Test
    void resumesAPartialFileLeftByAnEarlierRun() throws Exception {
        Path part = downloads.resolve(WEIGHTS + ".part");
        Files.createDirectories(part.getParent());
        Files.write(part, java.util.Arrays.copyOf(hub.content(WEIGHTS), 123_456));
        fetch(client(null, FAST), WEIGHTS);
        assertThat(Files.readAllBytes(downloads.resolve(WEIGHTS))).isEqualTo(hub.content(WEIGHTS));
        assertThat(hub.requests.stream().filter(r -> r.server().equals("cdn")).map(FakeHub.Request::range)).containsExactly("bytes=123456-");
    }

    @Test
    void aStalledTransferIsAbortedAndResumed() throws Exception {
        hub.stallOnce(WEIGHTS, 50_000);
        RetryPolicy impatient = new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(10), Duration.ofMillis(400));
        fetch(client(null, impatient), WEIGHTS);
        assertThat(Files.readAllBytes(downloads.resolve(WEIGHTS))).isEqualTo(hub.content(WEIGHTS));
        assertThat(events).anyMatch(e -> e.startsWith("retry " + WEIGHTS) && e.contains("no data for"));
        assertThat(Thread.currentThread().isInterrupted()).as("the watchdog's interrupt does not leak").isFalse();
    }

    @Test
    void aCorruptedLfsFileFailsWithBothHashesAndLeavesNothing() throws Exception {
        hub.corrupt(WEIGHTS);
        byte[] bad = hub.content(WEIGHTS).clone();
        bad[bad.length / 2] ^= 0x40;
        HubClient c = client(null, FAST);
        assertThatThrownBy(() -> fetch(c, WEIGHTS)).isInstanceOf(ChecksumMismatchException.class)
                .hasMessageContaining(WEIGHTS).hasMessageContaining(FakeHub.sha256(hub.content(WEIGHTS))).hasMessageContaining(FakeHub.sha256(bad));
        assertThat(downloads.resolve(WEIGHTS)).doesNotExist();
        assertThat(downloads.resolve(WEIGHTS + ".part")).doesNotExist();
        assertThat(hub.requests.stream().filter(r -> r.server().equals("cdn"))).as("a checksum error is not retried").hasSize(1);
    }

    @Test
    void aCorruptedSmallFileFailsOnItsGitBlobHash() throws Exception {
        hub.corrupt(CONFIG);
        assertThatThrownBy(() -> fetch(client(null, FAST), CONFIG)).isInstanceOf(ChecksumMismatchException.class)
                .hasMessageContaining("git blob sha1").hasMessageContaining(Checksums.gitBlobSha1(hub.content(CONFIG)));
        assertThat(downloads.resolve(CONFIG)).doesNotExist();
    }

    @Test
    void aListingWithAPathThatLeavesTheDownloadFolderIsRefused() {
        for (String evil : List.of("../outside.json", "text_encoder/../../x", "/etc/passwd", "a\\b", "c:/x", "a//b")) {
            hub.alsoList(evil);
            assertThatThrownBy(() -> client(null, FAST).listFiles(REPO, hub.commit)).as(evil).hasMessageContaining("unsafe path");
        }
    }

    @Test
    void anEmptyFileDownloadsAndVerifies() throws Exception {
        hub.close();
        Files.write(tmp.resolve("repo").resolve(EMPTY), new byte[0]);
        hub = new FakeHub(tmp.resolve("repo"), REPO);
        String sha = fetch(client(null, FAST), EMPTY);
        assertThat(downloads.resolve(EMPTY)).exists().isEmptyFile();
        assertThat(sha).isEqualTo(FakeHub.sha256(new byte[0]));
        assertThat(downloads.resolve(EMPTY + ".part")).doesNotExist();
    }

    @Test
    void aDownloadedFileAlteredSinceIsFetchedAgain() throws Exception {
        HubClient c = client(null, FAST);
        fetch(c, WEIGHTS);
        byte[] altered = hub.content(WEIGHTS).clone();
        altered[7] ^= 1; // same size, other bytes
        Files.write(downloads.resolve(WEIGHTS), altered);
        long before = hub.requests.stream().filter(r -> r.server().equals("cdn")).count();

        assertThat(fetch(c, WEIGHTS)).isEqualTo(FakeHub.sha256(hub.content(WEIGHTS)));

        assertThat(Files.readAllBytes(downloads.resolve(WEIGHTS))).isEqualTo(hub.content(WEIGHTS));
        assertThat(hub.requests.stream().filter(r -> r.server().equals("cdn")).count()).isEqualTo(before + 1);
        assertThat(events).doesNotContain("cached " + WEIGHTS);
        assertThat(events).as("the altered file's bytes were counted as here and are fetched again").contains("discard " + WEIGHTS + " 400000");
    }

    @Test
    void aPartTheServerWillNotResumeIsReportedAsDiscardedOnce() throws Exception {
        Path part = downloads.resolve(WEIGHTS + ".part");
        Files.createDirectories(part.getParent());
        Files.write(part, java.util.Arrays.copyOf(hub.content(WEIGHTS), 123_456));
        hub.ignoreRange(); // a 200: the part is overwritten from byte 0
        fetch(client(null, FAST), WEIGHTS);
        assertThat(events).containsSubsequence("discard " + WEIGHTS + " 123456", "start " + WEIGHTS + " from 0", "done " + WEIGHTS);
        assertThat(events.stream().filter(e -> e.startsWith("discard"))).hasSize(1);
    }

    @Test
    void anOversizedPartIsDiscardedAtTheSizeThePullCounted() throws Exception {
        Path part = downloads.resolve(WEIGHTS + ".part");
        Files.createDirectories(part.getParent());
        Files.write(part, new byte[500_000]);
        assertThat(ResumableDownload.onDisk(downloads.resolve(WEIGHTS), 400_000)).isEqualTo(400_000);
        fetch(client(null, FAST), WEIGHTS);
        assertThat(events).containsSubsequence("discard " + WEIGHTS + " 400000", "start " + WEIGHTS + " from 0");
    }

    @Test
    void aResumedPartDiscardsNothing() throws Exception {
        Path part = downloads.resolve(WEIGHTS + ".part");
        Files.createDirectories(part.getParent());
        Files.write(part, java.util.Arrays.copyOf(hub.content(WEIGHTS), 123_456));
        hub.dropConnectionOnce(WEIGHTS, 150_000);
        fetch(client(null, FAST), WEIGHTS);
        assertThat(events).noneMatch(e -> e.startsWith("discard")).contains("start " + WEIGHTS + " from 123456");
    }

    @Test
    void aVerifiedFileIsNotFetchedAgain() throws Exception {
        HubClient c = client(null, FAST);
        String first = fetch(c, CONFIG);
        long before = hub.requests.stream().filter(r -> r.path().contains("/resolve/")).count();
        String second = fetch(c, CONFIG);
        assertThat(hub.requests.stream().filter(r -> r.path().contains("/resolve/")).count()).isEqualTo(before);
        assertThat(second).isEqualTo(first).isEqualTo(FakeHub.sha256(hub.content(CONFIG)));
        assertThat(events).containsSubsequence("done " + CONFIG, "cached " + CONFIG);
    }

    @Test
    void serverErrorsAreRetried() throws Exception {
        hub.failNext(2);
        assertThat(client(null, FAST).resolveCommit(REPO, "main")).isEqualTo(hub.commit);
        assertThat(hub.requests.stream().filter(r -> r.path().contains("/revision/"))).hasSize(3);
    }

    @Test
    void theTokenGoesToTheHubButNotToTheCdn() throws Exception {
        hub.requireToken("hf_secret");
        HubClient c = client("hf_secret", FAST);
        fetch(c, WEIGHTS);
        assertThat(Files.readAllBytes(downloads.resolve(WEIGHTS))).isEqualTo(hub.content(WEIGHTS));
        assertThat(hub.requests).filteredOn(r -> r.server().equals("hub")).allMatch(r -> "Bearer hf_secret".equals(r.authorization()));
        assertThat(hub.requests).filteredOn(r -> r.server().equals("cdn")).isNotEmpty().allMatch(r -> r.authorization() == null);
    }

    @Test
    void aGatedRepoWithoutTokenSays401AndHowToFixIt() {
        hub.requireToken("hf_secret");
        assertThatThrownBy(() -> client(null, FAST).resolveCommit(REPO, "main")).isInstanceOfSatisfying(HubException.class, e -> {
            assertThat(e.status()).isEqualTo(401);
            assertThat(e.getMessage()).contains("gated").contains("HF_TOKEN").contains(hub.endpoint() + "/" + REPO).contains("GatedRepo");
        });
        assertThat(hub.requests).as("4xx is not retried").hasSize(1);
    }

    @Test
    void aTokenWithoutAccessSays403() {
        hub.requireToken("hf_secret");
        assertThatThrownBy(() -> client("hf_other", FAST).resolveCommit(REPO, "main")).isInstanceOfSatisfying(HubException.class, e -> {
            assertThat(e.status()).isEqualTo(403);
            assertThat(e.getMessage()).contains("no access").contains("accept its terms");
        });
    }

    @Test
    void anUnknownRevisionSays404() {
        assertThatThrownBy(() -> client(null, FAST).resolveCommit(REPO, "v9.9")).isInstanceOfSatisfying(HubException.class, e -> {
            assertThat(e.status()).isEqualTo(404);
            assertThat(e.getMessage()).contains("v9.9").contains("RevisionNotFound");
        });
    }

    @Test
    void anUnknownRepoSays401LikeTheRealHub() {
        assertThatThrownBy(() -> client(null, FAST).resolveCommit("nobody/nothing", "main")).isInstanceOfSatisfying(HubException.class, e -> {
            assertThat(e.status()).isEqualTo(401);
            assertThat(e.getMessage()).contains("does not exist").contains("RepoNotFound");
        });
    }

    @Test
    void revisionsAreEncodedInTheUrl() throws Exception {
        assertThatThrownBy(() -> client(null, FAST).resolveCommit(REPO, "refs/pr/1")).isInstanceOf(HubException.class);
        assertThat(hub.requests.get(0).path()).endsWith("/revision/refs/pr/1");
        assertThat(HubClient.encode("refs/pr/1")).isEqualTo("refs%2Fpr%2F1");
        assertThat(new String(hub.content("model_index.json"), StandardCharsets.UTF_8)).contains("TinyPipeline");
    }
}
