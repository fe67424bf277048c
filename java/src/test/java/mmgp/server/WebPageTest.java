package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page in headless Chromium against fake models: every task's form end to end, progress,
 * cancel, the history gallery and a phone-sized screen; after each step no element the page hid
 * shows, and no result of an earlier job or another task stays on screen. One browser and one
 * server for the class (Chromium takes seconds to start); each test loads the page afresh.
 * Skipped (not failed) where Chromium or chromedriver is not installed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebPageTest {
    private static final Path CHROMIUM = Path.of(System.getProperty("mmgp.chromium", "/usr/bin/chromium"));
    private static final Path CHROMEDRIVER = Path.of(System.getProperty("mmgp.chromedriver", "/usr/bin/chromedriver"));
    private static final Path SCREENSHOTS = Path.of("target", "web-screenshots");
    /** Elements the page hid but a CSS rule shows anyway, and media shown without anything to play. */
    private static final String VISIBLE_BUT_HIDDEN = """
            const bad = [];
            for (const e of document.querySelectorAll('[hidden]')) if (getComputedStyle(e).display !== 'none') bad.push('hidden but shown: ' + e.outerHTML.slice(0, 80));
            for (const e of document.querySelectorAll('img, video')) if (e.offsetParent !== null && !e.getAttribute('src')) bad.push('empty media shown: ' + e.outerHTML.slice(0, 80));
            return bad;""";

    @TempDir
    Path dir;
    FakeModels models;
    ApiServer server;
    ChromeDriver browser;
    WebDriverWait wait;

    @BeforeAll
    void start() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "web page test skipped: needs " + CHROMIUM + " and " + CHROMEDRIVER + " (apt-get install chromium chromium-driver)");
        models = new FakeModels(dir);
        server = TestServers.start(TestServers.config(dir.resolve("data")), models, 16);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1200,900",
                "--autoplay-policy=no-user-gesture-required", "--user-data-dir=" + Files.createTempDirectory(dir, "chromium-profile"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    void stop() {
        if (browser != null) browser.quit();
        if (server != null) server.close();
    }

    @BeforeEach
    void openThePage() {
        models.image.hold = new CountDownLatch(0);
        browser.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
        browser.get(server.url() + "/");
        browser.findElement(By.id("api-key")).sendKeys(TestServers.KEY);
    }

    @Test
    void aPictureIsUnderstoodThroughTheFallbackRouteWithTheCaptionStreamed() throws Exception {
        tab("understand");
        browser.findElement(By.id("u-file")).sendKeys(png("picture.png", 32, 32).toString());
        type("u-prompt", "What is in this picture?");
        type("u-max-tokens", "64");
        submit("understand");
        awaitRun("done");
        WebElement job = onlyJob();
        assertThat(job.findElement(By.className("job-caption")).getText()).isEqualTo(String.join(" ", FakeModels.CAPTION));
        assertThat(job.findElement(By.className("job-id")).getText()).matches("[0-9a-f-]{36}");
        wait.until(d -> job.findElement(By.className("job-downloads")).getText().contains("caption.txt"));
        assertThat(job.findElement(By.className("job-image")).isDisplayed()).isFalse();
        assertThat(job.findElement(By.className("job-video")).isDisplayed()).isFalse();
        assertNothingHiddenShows();
        screenshot("understand", viewportWidth());
    }

    @Test
    void imagesShowOnlyTheLatestRunAndNotUnderAnotherTask() throws Exception {
        tab("image");
        type("i-prompt", "a red square");
        type("i-width", "32");
        type("i-height", "32");
        type("i-steps", "3");
        type("i-count", "2");
        submit("image");
        awaitRun("done");
        assertThat(browser.findElements(By.cssSelector("#jobs .job"))).hasSize(2);
        wait.until(d -> visibleImages().size() == 2);

        type("i-count", "1");
        type("i-width", "48");
        submit("image");
        awaitRun("done");
        assertThat(browser.findElements(By.cssSelector("#jobs .job"))).as("the first run's pictures are gone").hasSize(1);
        WebElement img = wait.until(d -> visibleImages().size() == 1 ? visibleImages().getFirst() : null);
        wait.until(d -> naturalWidth(img) > 0);
        assertThat(naturalWidth(img)).isEqualTo(48);
        assertNothingHiddenShows();

        tab("video");
        assertThat(browser.findElement(By.id("run")).isDisplayed()).as("an image result under the video form").isFalse();
        assertThat(visibleImages()).isEmpty();
        assertThat(browser.findElement(By.id("v-image")).isDisplayed()).isTrue();
        assertNothingHiddenShows();
        tab("image");
        assertThat(visibleImages()).hasSize(1);
    }

    @Test
    void aVideoFromTextThenOneFromAStartImage() throws Exception {
        tab("video");
        type("v-prompt", "a red square drifts");
        for (String[] f : List.of(new String[] {"v-width", "32"}, new String[] {"v-height", "32"}, new String[] {"v-frames", "9"},
                new String[] {"v-steps", "2"}, new String[] {"v-fps", "8"})) type(f[0], f[1]);
        submit("video");
        awaitRun("done");
        WebElement video = wait.until(d -> {
            WebElement v = onlyJob().findElement(By.className("job-video"));
            return v.isDisplayed() ? v : null;
        });
        assertThat(video.getAttribute("src")).startsWith("blob:");
        assertThat(onlyJob().findElement(By.className("job-image")).isDisplayed()).isFalse();
        assertThat(onlyJob().findElement(By.className("job-caption")).isDisplayed()).isFalse();
        assertNothingHiddenShows();

        browser.findElement(By.id("v-image")).sendKeys(png("first.png", 32, 32).toString());
        submit("video");
        awaitRun("done");
        String id = onlyJob().findElement(By.className("job-id")).getText();
        try (var files = Files.list(dir.resolve("data/jobs/" + id))) {
            assertThat(files.map(f -> f.getFileName().toString())).contains("image.png", "video.mp4");
        }
        wait.until(d -> onlyJob().findElement(By.className("job-video")).isDisplayed());
        assertNothingHiddenShows();
        screenshot("video", viewportWidth());
    }

    @Test
    void thePipelineShowsItsStagesThenCaptionImageAndVideo() throws Exception {
        tab("pipeline");
        browser.findElement(By.id("p-video")).sendKeys(clip().toString());
        type("p-image-steps", "2");
        type("p-video-frames", "9");
        type("p-video-steps", "2");
        type("p-size", "32x32");
        submit("pipeline");
        awaitRun("done");
        WebElement job = onlyJob();
        assertThat(job.findElement(By.className("job-caption")).getText()).isEqualTo(String.join(" ", FakeModels.CAPTION));
        assertThat(job.findElement(By.className("job-stages")).getText()).contains("caption", "image", "video");
        wait.until(d -> job.findElement(By.className("job-image")).isDisplayed() && job.findElement(By.className("job-video")).isDisplayed());
        assertNothingHiddenShows();
    }

    @Test
    void aRunningJobCanBeCancelledAndShowsItsProgress() throws Exception {
        models.image.hold = new CountDownLatch(1);
        try {
            tab("image");
            type("i-prompt", "slow");
            type("i-steps", "5");
            type("i-width", "32");
            type("i-height", "32");
            submit("image");
            awaitRun("running");
            wait.until(d -> onlyJob().findElement(By.className("job-stage")).getText().startsWith("denoise 1/5"));
            wait.until(d -> onlyJob().findElement(By.className("job-time")).getText().startsWith("elapsed"));
            assertThat(browser.findElement(By.id("cancel")).isEnabled()).isTrue();
            browser.findElement(By.id("cancel")).click();
            awaitRun("cancelled");
        } finally {
            models.image.hold.countDown();
        }
        assertThat(browser.findElement(By.id("cancel")).isEnabled()).isFalse();
        assertThat(visibleImages()).isEmpty();
        assertNothingHiddenShows();
    }

    @Test
    void theHistoryGalleryShowsThisKeysRequestsAndOpensOne() throws Exception {
        Http http = TestServers.client(server);
        String drawn = http.postJson("/api/generate/image", "{\"prompt\": \"gallery\", \"steps\": 1, \"width\": 32, \"height\": 32}").json().get("request_id").asText();
        http.awaitEnd(drawn, Duration.ofSeconds(20));
        String others = http.withKey(TestServers.OTHER_KEY).postJson("/api/generate/image", "{\"prompt\": \"not mine\", \"steps\": 1}").json().get("request_id").asText();
        browser.findElement(By.id("history-refresh")).click();
        WebElement tile = wait.until(d -> d.findElements(By.cssSelector("#gallery .tile[data-id='" + drawn + "']")).stream().findFirst().orElse(null));
        assertThat(browser.findElements(By.cssSelector("#gallery .tile[data-id='" + others + "']"))).isEmpty();
        WebElement thumb = tile.findElement(By.tagName("img"));
        wait.until(d -> naturalWidth(thumb) == 32);

        tile.click();
        WebElement viewed = wait.until(d -> {
            WebElement e = d.findElement(By.cssSelector("#viewer .view-image"));
            return e.isDisplayed() && naturalWidth(e) > 0 ? e : null;
        });
        assertThat(naturalWidth(viewed)).isEqualTo(32);
        assertThat(browser.findElement(By.id("run")).isDisplayed()).isFalse();
        assertNothingHiddenShows();
        browser.findElement(By.id("viewer-close")).click();
        assertThat(browser.findElement(By.id("viewer")).isDisplayed()).isFalse();

        new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("history-task"))).selectByValue("video");
        wait.until(d -> d.findElements(By.cssSelector("#gallery .tile[data-id='" + drawn + "']")).isEmpty());
    }

    @Test
    void onAPhoneNothingOverflowsSideways() throws Exception {
        browser.executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of("width", 390, "height", 844, "deviceScaleFactor", 1, "mobile", true));
        browser.navigate().refresh();
        browser.findElement(By.id("api-key")).sendKeys(TestServers.KEY);
        for (String t : List.of("understand", "image", "video", "pipeline")) {
            tab(t);
            assertNoSidewaysOverflow(t + " form");
        }
        tab("image");
        type("i-prompt", "a very long prompt without spaces: " + "x".repeat(200));
        type("i-steps", "2");
        type("i-width", "64");
        type("i-height", "64");
        submit("image");
        awaitRun("done");
        wait.until(d -> visibleImages().size() == 1 && naturalWidth(visibleImages().getFirst()) > 0);
        browser.findElement(By.id("history-refresh")).click();
        wait.until(d -> !d.findElements(By.cssSelector("#gallery .tile")).isEmpty());
        assertNoSidewaysOverflow("a result and the gallery");
        assertNothingHiddenShows();
        screenshot("phone", 390);
    }

    // ---- helpers ----

    private void tab(String task) {
        browser.findElement(By.cssSelector("#tasks [data-task='" + task + "']")).click();
        wait.until(d -> d.findElement(By.id("form-" + task)).isDisplayed());
    }

    private void type(String id, String text) {
        WebElement e = browser.findElement(By.id(id));
        e.clear();
        e.sendKeys(text);
    }

    private void submit(String task) {
        browser.findElement(By.cssSelector("#form-" + task + " button[type=submit]")).click();
    }

    private void awaitRun(String status) {
        try {
            wait.until(d -> d.findElement(By.id("run-status")).getText().equals(status));
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("run status is " + browser.findElement(By.id("run-status")).getText() + ", not " + status + "; page: "
                    + browser.findElement(By.id("run")).getText(), e);
        }
    }

    private WebElement onlyJob() {
        List<WebElement> jobs = browser.findElements(By.cssSelector("#jobs .job"));
        assertThat(jobs).hasSize(1);
        return jobs.getFirst();
    }

    private List<WebElement> visibleImages() {
        return browser.findElements(By.cssSelector("#run img, #viewer img")).stream().filter(WebElement::isDisplayed).toList();
    }

    private long naturalWidth(WebElement img) {
        return ((Number) browser.executeScript("return arguments[0].naturalWidth", img)).longValue();
    }

    @SuppressWarnings("unchecked")
    private void assertNothingHiddenShows() {
        assertThat((List<String>) ((JavascriptExecutor) browser).executeScript(VISIBLE_BUT_HIDDEN)).isEmpty();
    }

    private void assertNoSidewaysOverflow(String what) {
        Number scroll = (Number) browser.executeScript("return document.documentElement.scrollWidth");
        Number view = (Number) browser.executeScript("return window.innerWidth");
        assertThat(view.intValue()).isEqualTo(390);
        assertThat(scroll.intValue()).as(what + " is wider than the screen").isLessThanOrEqualTo(view.intValue());
    }

    private int viewportWidth() {
        return ((Number) browser.executeScript("return Math.round(window.innerWidth * window.devicePixelRatio)")).intValue();
    }

    /** Saves a screenshot under target/web-screenshots and checks it is as wide as the viewport and not blank. */
    private void screenshot(String name, int width) throws Exception {
        byte[] png = browser.getScreenshotAs(OutputType.BYTES);
        Files.write(SCREENSHOTS.resolve(name + ".png"), png);
        BufferedImage shot = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(shot.getWidth()).isEqualTo(width);
        long distinct = java.util.stream.IntStream.range(0, 200).map(i -> shot.getRGB(i * 7919 % shot.getWidth(), i * 104729 % shot.getHeight())).distinct().count();
        assertThat(distinct).as("a blank screenshot").isGreaterThan(1);
    }

    private Path png(String name, int w, int h) throws Exception {
        BufferedImage picture = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        picture.setRGB(0, 0, 0xff0000);
        Path p = dir.resolve(name);
        ImageIO.write(picture, "png", p.toFile());
        return p;
    }

    private Path clip() throws Exception {
        return Files.write(dir.resolve("clip.mp4"), new byte[] {0, 0, 0, 24, 'f', 't', 'y', 'p'});
    }
}
