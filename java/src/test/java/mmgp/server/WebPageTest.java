package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page in headless Chromium: key, upload, SSE progress, caption and image. Skipped
 * (not failed) where Chromium or chromedriver is not installed.
 */
class WebPageTest {
    private static final Path CHROMIUM = Path.of(System.getProperty("mmgp.chromium", "/usr/bin/chromium"));
    private static final Path CHROMEDRIVER = Path.of(System.getProperty("mmgp.chromedriver", "/usr/bin/chromedriver"));

    @TempDir
    Path dir;
    ApiServer server;
    WebDriver browser;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "web page test skipped: needs " + CHROMIUM + " and " + CHROMEDRIVER + " (apt-get install chromium chromium-driver)");
        server = TestServers.start(TestServers.config(dir.resolve("data")), new FakeModels(dir), 8);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + Files.createTempDirectory(dir, "chromium-profile"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterEach
    void stop() {
        if (browser != null) browser.quit();
        if (server != null) server.close();
    }

    @Test
    void uploadAVideoWatchTheCaptionStreamThenDrawAnImage() throws Exception {
        browser.get(server.url() + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        browser.findElement(By.id("api-key")).sendKeys(TestServers.KEY);

        new Select(browser.findElement(By.id("task"))).selectByValue("understand");
        Path clip = Files.write(dir.resolve("clip.mp4"), new byte[] {0, 0, 0, 24, 'f', 't', 'y', 'p'});
        browser.findElement(By.id("file")).sendKeys(clip.toString());
        browser.findElement(By.id("prompt")).sendKeys("What happens?");
        browser.findElement(By.id("submit")).click();
        wait.until(d -> d.findElement(By.id("status")).getText().equals("done"));
        assertThat(browser.findElement(By.id("caption")).getText()).isEqualTo("a red ball rolls across the floor");
        assertThat(browser.findElement(By.id("request-id")).getText()).matches("[0-9a-f-]{36}");
        wait.until(d -> d.findElement(By.id("downloads")).getText().contains("caption.txt"));

        new Select(browser.findElement(By.id("task"))).selectByValue("image");
        WebElement prompt = browser.findElement(By.id("prompt"));
        prompt.clear();
        prompt.sendKeys("a red square");
        browser.findElement(By.id("options")).sendKeys("{\"steps\": 3, \"width\": 32, \"height\": 32}");
        browser.findElement(By.id("submit")).click();
        wait.until(d -> d.findElement(By.id("status")).getText().equals("done"));
        WebElement img = wait.until(d -> {
            WebElement e = d.findElement(By.id("result-image"));
            return e.isDisplayed() ? e : null;
        });
        Object width = ((JavascriptExecutor) browser).executeScript("return arguments[0].complete ? arguments[0].naturalWidth : -1", img);
        wait.until(d -> ((Number) ((JavascriptExecutor) d).executeScript("return arguments[0].naturalWidth", img)).intValue() > 0);
        assertThat(((Number) ((JavascriptExecutor) browser).executeScript("return arguments[0].naturalWidth", img)).intValue()).as("was " + width).isEqualTo(32);
    }

    @Test
    void aVideoCanStartFromAnImageChosenInThePicker() throws Exception {
        browser.get(server.url() + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        browser.findElement(By.id("api-key")).sendKeys(TestServers.KEY);
        new Select(browser.findElement(By.id("task"))).selectByValue("image");
        assertThat(browser.findElement(By.id("image-row")).isDisplayed()).isFalse();
        new Select(browser.findElement(By.id("task"))).selectByValue("video");
        assertThat(browser.findElement(By.id("image-row")).isDisplayed()).isTrue();
        java.awt.image.BufferedImage picture = new java.awt.image.BufferedImage(32, 32, java.awt.image.BufferedImage.TYPE_INT_RGB);
        Path png = dir.resolve("first.png");
        javax.imageio.ImageIO.write(picture, "png", png.toFile());
        browser.findElement(By.id("image")).sendKeys(png.toString());
        browser.findElement(By.id("prompt")).sendKeys("a red square drifts");
        browser.findElement(By.id("options")).sendKeys("{\"frames\": 9, \"steps\": 2, \"width\": 32, \"height\": 32}");
        browser.findElement(By.id("submit")).click();
        wait.until(d -> d.findElement(By.id("status")).getText().equals("done"));
        String id = browser.findElement(By.id("request-id")).getText();
        try (var files = Files.list(dir.resolve("data/jobs/" + id))) {
            assertThat(files.map(f -> f.getFileName().toString())).contains("image.png");
        }
    }

    @Test
    void refusalsShowTheServersMessage() {
        browser.get(server.url() + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        browser.findElement(By.id("api-key")).sendKeys("wrong-key");
        new Select(browser.findElement(By.id("task"))).selectByValue("image");
        browser.findElement(By.id("prompt")).sendKeys("anything");
        browser.findElement(By.id("submit")).click();
        wait.until(d -> d.findElement(By.id("status")).getText().equals("refused"));
        assertThat(browser.findElement(By.id("error")).getText()).contains("missing or unknown API key");

        WebElement key = browser.findElement(By.id("api-key"));
        key.clear();
        key.sendKeys(TestServers.KEY);
        browser.findElement(By.id("options")).sendKeys("{\"steps\": 500}");
        browser.findElement(By.id("submit")).click();
        wait.until(d -> d.findElement(By.id("error")).getText().contains("(field: steps)"));
    }
}
