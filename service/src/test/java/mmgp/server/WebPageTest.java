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
    static Path dir;
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
        type("api-key", TestServers.KEY); // the page keeps the key of the last test in sessionStorage
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
        assertThat(redPixelsOutsideHistory(fullPage("understand-full"))).as("a picture shown with a caption").isZero();
    }

    @Test
    void aVideoIsUnderstoodAndAPictureResultOfAnotherTaskDoesNotLinger() throws Exception {
        tab("image");
        type("i-prompt", "first a picture");
        type("i-width", "32");
        type("i-height", "32");
        type("i-steps", "1");
        submit("image");
        awaitRun("done");
        wait.until(d -> visibleImages().size() == 1);

        tab("understand");
        assertThat(browser.findElement(By.id("run")).isDisplayed()).as("the image run under the understand form").isFalse();
        browser.findElement(By.id("u-file")).sendKeys(clip().toString());
        type("u-prompt", "What happens in this video?");
        submit("understand");
        awaitRun("done");
        WebElement job = onlyJob();
        assertThat(job.findElement(By.className("job-task")).getText()).isEqualTo("understand");
        assertThat(job.findElement(By.className("job-caption")).getText()).isEqualTo(String.join(" ", FakeModels.CAPTION));
        assertThat(job.findElement(By.className("job-image")).isDisplayed()).isFalse();
        assertThat(visibleImages()).isEmpty();
        assertNothingHiddenShows();
        assertThat(redPixelsOutsideHistory(fullPage("understand-video"))).as("the earlier picture still on screen").isZero();
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
        // On screen: the new 48×32 red picture and nothing of the first run's two 32×32 ones.
        BufferedImage page = fullPage("image");
        assertThat(redPixels(page, rect(img))).as("the picture is drawn").isGreaterThan(48 * 32 * 9 / 10);
        assertThat(redPixels(page, rect(browser.findElement(By.id("run"))))).as("only one picture's red in the run").isLessThanOrEqualTo(48 * 32);

        tab("video");
        assertThat(browser.findElement(By.id("run")).isDisplayed()).as("an image result under the video form").isFalse();
        assertThat(visibleImages()).isEmpty();
        assertThat(browser.findElement(By.id("v-image")).isDisplayed()).isTrue();
        assertNothingHiddenShows();
        assertThat(redPixelsOutsideHistory(fullPage("video-form"))).as("the image result shows under the video form").isZero();
        tab("image");
        assertThat(visibleImages()).hasSize(1);
    }

    @Test
    void theVideoFormsAdvancedDecodeSettingsReachTheRequest() throws Exception {
        tab("video");
        type("v-prompt", "a slow pan");
        for (String[] f : List.of(new String[] {"v-width", "32"}, new String[] {"v-height", "32"}, new String[] {"v-frames", "9"},
                new String[] {"v-steps", "1"})) type(f[0], f[1]);
        assertThat(browser.findElement(By.id("v-decode-timestep")).isDisplayed()).as("folded away until asked for").isFalse();
        submit("video");
        awaitRun("done");
        assertThat(models.lastVideo.options().decodeGiven()).as("left empty: the model's").isFalse();

        browser.findElement(By.cssSelector("#form-video details.advanced summary")).click();
        type("v-decode-timestep", "0.1");
        type("v-decode-noise", "0.025");
        assertNothingHiddenShows();
        screenshot("video-advanced", viewportWidth());
        submit("video");
        awaitRun("done");
        assertThat(models.lastVideo.options().decodeTimestep()).isEqualTo(0.1f);
        assertThat(models.lastVideo.options().decodeNoiseScale()).isEqualTo(0.025f);

        // with a start image the fields go as multipart form text
        browser.findElement(By.id("v-image")).sendKeys(png("start.png", 32, 32).toString());
        browser.findElement(By.id("v-decode-noise")).clear();
        submit("video");
        awaitRun("done");
        assertThat(models.lastVideo.startImageFile()).isNotNull();
        assertThat(models.lastVideo.options().decodeTimestep()).isEqualTo(0.1f);
        assertThat(models.lastVideo.options().decodeNoiseScale()).as("emptied: follows the timestep").isNaN();
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
        WebElement film = onlyJob().findElement(By.className("job-video"));
        wait.until(d -> ((Number) browser.executeScript("return arguments[0].readyState", film)).intValue() >= 2);
        assertThat(((Number) browser.executeScript("return arguments[0].videoWidth", film)).intValue()).as("the film decodes in the browser").isEqualTo(32);
        fullPage("video-full");
        assertThat(rect(film).width).as("a small film is shown large enough for its controls").isGreaterThanOrEqualTo(200);
        // A frame the player decodes (headless Chromium paints no video frame into its screenshots): the fake model films mid grey.
        @SuppressWarnings("unchecked")
        List<Number> rgb = (List<Number>) browser.executeAsyncScript("""
                const v = arguments[0], done = arguments[arguments.length - 1];
                v.addEventListener('seeked', () => {
                  const c = document.createElement('canvas');
                  c.width = v.videoWidth; c.height = v.videoHeight;
                  const g = c.getContext('2d');
                  g.drawImage(v, 0, 0);
                  done(Array.from(g.getImageData(16, 16, 1, 1).data.slice(0, 3)));
                }, { once: true });
                v.currentTime = 0.01;""", film);
        assertThat(rgb).as("the film's first frame").allMatch(c -> c.intValue() > 100 && c.intValue() < 160);
    }

    @Test
    void thePipelineShowsItsStagesThenCaptionImageAndVideo() throws Exception {
        tab("pipeline");
        browser.findElement(By.id("p-video")).sendKeys(clip().toString());
        type("p-image-steps", "2");
        type("p-video-frames", "9");
        type("p-video-steps", "2");
        type("p-size", "32x32");
        // every value the progress bar takes, in order
        browser.executeScript("""
                window.barValues = [];
                new MutationObserver((changes) => { for (const c of changes) if (c.target.classList.contains('job-bar')) window.barValues.push(c.target.value); })
                    .observe(document.getElementById('jobs'), { attributes: true, attributeFilter: ['value'], subtree: true });""");
        submit("pipeline");
        awaitRun("done");
        @SuppressWarnings("unchecked")
        List<Number> bar = (List<Number>) browser.executeScript("return window.barValues");
        assertThat(bar).as("the bar's values").isNotEmpty();
        for (int i = 1; i < bar.size(); i++) {
            assertThat(bar.get(i).doubleValue()).as("the bar went back at value " + i + " of " + bar).isGreaterThanOrEqualTo(bar.get(i - 1).doubleValue());
        }
        assertThat(bar.getLast().doubleValue()).isEqualTo(1.0);
        assertThat(bar.stream().mapToDouble(Number::doubleValue).filter(v -> v > 0 && v < 1).count())
                .as("the bar fills in steps across the stages, not at once: " + bar).isGreaterThanOrEqualTo(3);
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
        assertThat(redPixelsOutsideHistory(fullPage("cancelled"))).as("a picture of a cancelled job").isZero();
    }

    @Test
    void aSlowRunShowsTheRemainingTimeOfItsStageThenHowLongItTook() throws Exception {
        models.image.stepMillis = 300;
        try {
            tab("image");
            type("i-prompt", "slow steps");
            type("i-steps", "10");
            type("i-width", "32");
            type("i-height", "32");
            submit("image");
            WebElement time = wait.until(d -> {
                WebElement t = onlyJob().findElement(By.className("job-time"));
                return t.getText().matches("elapsed [0-9.]+ s · this stage ends in about [0-9]+ s") ? t : null;
            });
            int eta = Integer.parseInt(time.getText().replaceAll(".* about ([0-9]+) s", "$1"));
            assertThat(eta).as("at most ten steps of 0.3 s remain").isBetween(0, 4);
            assertThat(browser.findElement(By.id("run-status")).getText()).isEqualTo("running");
            assertThat(onlyJob().findElement(By.className("job-stage")).getText()).matches("denoise [0-9]+/10");
            awaitRun("done");
            assertThat(time.getText()).matches("took [0-9.]+ s");
            assertThat(Double.parseDouble(time.getText().replaceAll("took ([0-9.]+) s", "$1"))).isGreaterThanOrEqualTo(2.5);
        } finally {
            models.image.stepMillis = 5;
        }
    }

    @Test
    void theHistoryGalleryShowsThisKeysRequestsAndOpensOne() throws Exception {
        Http http = TestServers.client(server);
        String drawn = http.postJson("/api/generate/image", "{\"prompt\": \"gallery\", \"steps\": 1, \"width\": 32, \"height\": 32}").json().get("request_id").asText();
        http.awaitEnd(drawn, Duration.ofSeconds(20));
        String others = http.withKey(TestServers.OTHER_KEY).postJson("/api/generate/image", "{\"prompt\": \"not mine\", \"steps\": 1}").json().get("request_id").asText();
        refreshHistory();
        List<WebElement> tiles = browser.findElements(By.cssSelector("#gallery .tile[data-id='" + drawn + "']"));
        assertThat(tiles).as("one tile per request, however many loads overlapped").hasSize(1);
        WebElement tile = tiles.getFirst();
        assertThat(browser.findElements(By.cssSelector("#gallery .tile[data-id='" + others + "']"))).isEmpty();
        WebElement thumb = tile.findElement(By.tagName("img"));
        wait.until(d -> naturalWidth(thumb) == 32 && thumb.isDisplayed());
        assertThat(tile.findElements(By.className("thumb-text"))).as("the stand-in text stays beside the loaded thumbnail").isEmpty();

        tile.click();
        WebElement viewed = wait.until(d -> {
            WebElement e = d.findElement(By.cssSelector("#viewer .view-image"));
            return e.isDisplayed() && naturalWidth(e) > 0 ? e : null;
        });
        assertThat(naturalWidth(viewed)).isEqualTo(32);
        assertThat(redPixels(fullPage("viewer"), rect(viewed))).as("the viewed picture is drawn").isGreaterThan(32 * 32 * 9 / 10);
        assertThat(browser.findElement(By.id("run")).isDisplayed()).isFalse();
        assertNothingHiddenShows();
        browser.findElement(By.id("viewer-close")).click();
        assertThat(browser.findElement(By.id("viewer")).isDisplayed()).isFalse();

        new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("history-task"))).selectByValue("video");
        awaitHistory();
        assertThat(browser.findElements(By.cssSelector("#gallery .tile[data-id='" + drawn + "']"))).as("an image under the video filter").isEmpty();
        new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("history-task"))).selectByValue("image");
        awaitHistory();
        assertThat(browser.findElements(By.cssSelector("#gallery .tile[data-id='" + drawn + "']"))).hasSize(1);
    }

    @Test
    void onAPhoneNothingOverflowsSideways() throws Exception {
        browser.executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of("width", 390, "height", 844, "deviceScaleFactor", 1, "mobile", true));
        browser.navigate().refresh();
        type("api-key", TestServers.KEY); // the page keeps the key of the last test in sessionStorage
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
        refreshHistory();
        assertThat(browser.findElements(By.cssSelector("#gallery .tile"))).isNotEmpty();
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

    /** Reloads the gallery and waits until the last load has drawn it. */
    private void refreshHistory() {
        browser.findElement(By.id("history-refresh")).click();
        awaitHistory();
    }

    private void awaitHistory() {
        wait.until(d -> "false".equals(d.findElement(By.id("gallery")).getAttribute("aria-busy")));
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

    /** The whole page (not only the viewport) as a picture, saved under target/web-screenshots. */
    private BufferedImage fullPage(String name) throws Exception {
        long w = ((Number) browser.executeScript("return document.documentElement.scrollWidth")).longValue();
        long h = ((Number) browser.executeScript("return document.documentElement.scrollHeight")).longValue();
        Map<String, Object> shot = browser.executeCdpCommand("Page.captureScreenshot", Map.of("format", "png", "captureBeyondViewport", true,
                "clip", Map.of("x", 0, "y", 0, "width", w, "height", h, "scale", 1)));
        byte[] png = java.util.Base64.getDecoder().decode((String) shot.get("data"));
        Files.write(SCREENSHOTS.resolve(name + ".png"), png);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(image.getWidth()).isEqualTo((int) w);
        return image;
    }

    /** An element's box in page coordinates (CSS pixels; the page is drawn at scale 1). */
    private java.awt.Rectangle rect(WebElement e) {
        @SuppressWarnings("unchecked")
        List<Number> r = (List<Number>) browser.executeScript(
                "const b = arguments[0].getBoundingClientRect(); return [b.left + scrollX, b.top + scrollY, b.width, b.height];", e);
        return new java.awt.Rectangle((int) Math.round(r.get(0).doubleValue()), (int) Math.round(r.get(1).doubleValue()),
                (int) Math.round(r.get(2).doubleValue()), (int) Math.round(r.get(3).doubleValue()));
    }

    /** Pixels of the fake image model's pure red (the page's own colours have none) inside a box. */
    private static long redPixels(BufferedImage shot, java.awt.Rectangle box) {
        java.awt.Rectangle r = box.intersection(new java.awt.Rectangle(0, 0, shot.getWidth(), shot.getHeight()));
        long n = 0;
        for (int y = r.y; y < r.y + r.height; y++) {
            for (int x = r.x; x < r.x + r.width; x++) {
                int p = shot.getRGB(x, y);
                if ((p >> 16 & 0xff) > 240 && (p >> 8 & 0xff) < 16 && (p & 0xff) < 16) n++;
            }
        }
        return n;
    }

    /** Red pixels anywhere but in the history gallery, whose thumbnails are meant to show. */
    private long redPixelsOutsideHistory(BufferedImage shot) {
        return redPixels(shot, new java.awt.Rectangle(0, 0, shot.getWidth(), shot.getHeight())) - redPixels(shot, rect(browser.findElement(By.id("history"))));
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
