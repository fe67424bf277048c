package mmgp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final AtomicLong now = new AtomicLong();

    private String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private void advance(double seconds) {
        now.addAndGet((long) (seconds * 1e9));
    }

    @Test
    void plainModeWritesWholeLinesWithElapsedAndEtaAndNoCarriageReturns() {
        ProgressBar bar = new ProgressBar(out, ProgressBar.Mode.PLAIN, now::get);
        for (int i = 1; i <= 4; i++) {
            advance(10);
            bar.step("denoise", i, 4, 10);
        }
        bar.stage("decode", 3.5);
        String[] lines = text().split("\n");
        assertThat(text()).doesNotContain("\r");
        // Steps 2 and 3 come 10 s apart, more than the throttle: every step is printed.
        assertThat(lines).hasSize(5);
        assertThat(lines[0]).contains("1/4").contains("10.0 s/step").contains("elapsed 0:10").contains("ETA 0:30");
        assertThat(lines[2]).contains("3/4").contains("elapsed 0:30").contains("ETA 0:10");
        assertThat(lines[3]).contains("4/4").contains("elapsed 0:40").doesNotContain("ETA");
        assertThat(lines[4]).isEqualTo("decode   done in 3.50 s");
    }

    @Test
    void plainModeThrottlesFastStepsButKeepsTheFirstAndTheLast() {
        ProgressBar bar = new ProgressBar(out, ProgressBar.Mode.PLAIN, now::get);
        for (int i = 1; i <= 100; i++) {
            advance(0.5);
            bar.step("tokens", i, 100, 0.5);
        }
        String[] lines = text().split("\n");
        // 50 s of steps at one line per 5 s, plus the first and the last.
        assertThat(lines.length).isBetween(10, 12);
        assertThat(lines[0]).contains("1/100");
        assertThat(lines[lines.length - 1]).contains("100/100");
    }

    @Test
    void barModeRedrawsOneLineAndBlanksWhatAShorterRedrawLeaves() {
        ProgressBar bar = new ProgressBar(out, ProgressBar.Mode.BAR, now::get);
        advance(100);
        bar.step("denoise", 1, 2, 100); // "1.7 min"-long numbers: a longer line first
        advance(1);
        bar.step("denoise", 2, 2, 1);
        String s = text();
        assertThat(s).startsWith("\r").endsWith("\n");
        String[] redraws = s.substring(1, s.length() - 1).split("\r");
        assertThat(redraws).hasSize(2);
        assertThat(redraws[1].length()).isGreaterThanOrEqualTo(redraws[0].length());
        assertThat(redraws[1].stripTrailing()).contains("2/2").contains("elapsed 1:41");
    }

    @Test
    void notesEndAnOpenBarLineFirstAndQuietPrintsNothing() {
        ProgressBar bar = new ProgressBar(out, ProgressBar.Mode.BAR, now::get);
        bar.step("denoise", 1, 3, 1);
        bar.note("seed 42, 256×256");
        assertThat(text()).endsWith("\nseed 42, 256×256\n");
        bytes.reset();
        ProgressBar quiet = new ProgressBar(out, true);
        quiet.step("denoise", 1, 3, 1);
        quiet.stage("decode", 1);
        quiet.note("x");
        assertThat(quiet.mode()).isEqualTo(ProgressBar.Mode.NONE);
        assertThat(text()).isEmpty();
    }

    @Test
    void plainModeSaysAStageStartedThatItIsStillRunningAndWhenItEnded() {
        ProgressBar bar = new ProgressBar(out, ProgressBar.Mode.PLAIN, now::get);
        bar.stageStarted("load");
        advance(10);
        bar.tick(); // 10 s of silence: nothing yet
        advance(25);
        bar.tick(); // 35 s: a "running" line
        advance(5);
        bar.tick(); // 5 s after it: nothing
        advance(30);
        bar.tick();
        bar.stage("load", 70.2);
        bar.tick(); // nothing runs any more
        assertThat(text()).doesNotContain("\r");
        assertThat(text().split("\n")).containsExactly(
                "load     started",
                "load     running  elapsed 0:35",
                "load     running  elapsed 1:10",
                "load     done in 70.2 s");
    }

    @Test
    void plainModeStepsInsideAStartedStageKeepTheirLinesAndTheStagesClock() {
        ProgressBar bar = new ProgressBar(out, ProgressBar.Mode.PLAIN, now::get);
        bar.stageStarted("decode");
        advance(20);
        bar.step("decode", 1, 2, 20);
        advance(20);
        bar.tick(); // the tile line 20 s ago counts as output: no running line
        advance(20);
        bar.step("decode", 2, 2, 40);
        bar.stage("decode", 60);
        String[] l = text().split("\n");
        assertThat(l).hasSize(4);
        assertThat(l[0]).isEqualTo("decode   started");
        assertThat(l[1]).contains("1/2").contains("elapsed 0:20").contains("ETA 0:20");
        assertThat(l[2]).contains("2/2").contains("elapsed 1:00");
        assertThat(l[3]).isEqualTo("decode   done in 60.0 s");
    }

    @Test
    void barModeTicksTheRunningStagesElapsedTimeAndCountsAStepsEstimateDown() {
        ProgressBar bar = new ProgressBar(out, ProgressBar.Mode.BAR, now::get);
        bar.stageStarted("encode");
        advance(3);
        bar.tick();
        bar.stage("encode", 3);
        assertThat(text()).isEqualTo("\rencode   running  elapsed 0:00\rencode   running  elapsed 0:03"
                + "\r" + " ".repeat(30) + "\rencode   done in 3.00 s\n");
        bytes.reset();
        bar.stageStarted("decode");
        advance(10);
        bar.step("decode", 1, 4, 10); // 30 s left at 10 s a tile
        advance(5);
        bar.tick();
        String[] redraws = text().substring(1).split("\r");
        assertThat(redraws).hasSize(3);
        assertThat(redraws[0]).startsWith("decode   running");
        assertThat(redraws[1]).contains("1/4").contains("elapsed 0:10").endsWith("ETA 0:30");
        assertThat(redraws[2]).contains("1/4").contains("elapsed 0:15").endsWith("ETA 0:25");
        bar.close();
        assertThat(text()).endsWith("\n");
        bytes.reset();
        bar.tick();
        assertThat(text()).as("closed: nothing runs").isEmpty();
    }

    @Test
    void theTickerThreadRedrawsEverySecondAndStopsOnClose() throws Exception {
        String before = System.getProperty("mmgp.progress");
        System.setProperty("mmgp.progress", "bar");
        try {
            ProgressBar bar = new ProgressBar(out, false);
            bar.stageStarted("load");
            Thread ticker = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("mmgp-progress")).findFirst().orElseThrow();
            assertThat(ticker.isDaemon()).isTrue();
            Thread.sleep(2300);
            assertThat(text().split("\r")).as(text()).hasSizeGreaterThanOrEqualTo(3).allMatch(l -> l.isEmpty() || l.startsWith("load     running  elapsed 0:0"));
            bar.close();
            ticker.join(5000);
            assertThat(ticker.isAlive()).isFalse();
            int length = text().length();
            Thread.sleep(1200);
            assertThat(text()).hasSize(length).endsWith("\n");
        } finally {
            if (before == null) System.clearProperty("mmgp.progress");
            else System.setProperty("mmgp.progress", before);
        }
    }

    /** Runs {@code body} with {@code --progress mode}, the property restored after. */
    private static void withProgressMode(String mode, ThrowingRunnable body) throws Exception {
        String before = System.getProperty("mmgp.progress");
        System.setProperty("mmgp.progress", mode);
        try {
            body.run();
        } finally {
            if (before == null) System.clearProperty("mmgp.progress");
            else System.setProperty("mmgp.progress", before);
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void aStepBarAtStepZeroShowsNoEstimateWhenTicked() {
        ProgressBar bar = new ProgressBar(out, ProgressBar.Mode.BAR, now::get);
        bar.step("denoise", 0, 8, 0);
        advance(3);
        bar.tick();
        String[] redraws = text().substring(1).split("\r");
        assertThat(redraws).hasSize(2);
        assertThat(redraws[0]).contains("0/8").doesNotContain("ETA");
        assertThat(redraws[1]).as("an unknown estimate is not 0:00").contains("0/8").doesNotContain("ETA");
        // Once a step has been timed the estimate shows and counts down, to 0:00 when overdue.
        bar.step("denoise", 1, 8, 2);
        advance(30);
        bar.tick();
        assertThat(text().substring(text().lastIndexOf('\r'))).contains("1/8").contains("ETA 0:00");
    }

    @Test
    void theTickerKeepsCountingAStepBarDownAfterTheStartedStagesEnd() throws Exception {
        withProgressMode("bar", () -> {
            ProgressBar bar = new ProgressBar(out, false);
            bar.stageStarted("encode");
            assertThat(bar.ticker()).isNotNull();
            bar.stage("encode", 0.1);
            bar.step("denoise", 1, 4, 100); // 300 s left
            bytes.reset();
            Thread.sleep(2500);
            String[] redraws = text().substring(Math.min(1, text().length())).split("\r");
            assertThat(redraws).as(text()).hasSizeGreaterThanOrEqualTo(2).allMatch(l -> l.contains("denoise") && l.contains("1/4"));
            assertThat(redraws[redraws.length - 1]).as(text()).containsPattern("ETA 4:5\\d");
            Thread ticker = bar.ticker();
            assertThat(ticker).isNotNull();
            bar.close();
            assertThat(bar.ticker()).isNull();
            ticker.join(5000);
            assertThat(ticker.isAlive()).as("the ticker ends after close").isFalse();
        });
    }

    /** Close latches: a step or stage that arrives after it (a run still stopping) starts no ticker and draws nothing after the final output. */
    @Test
    void eventsAfterCloseStartNoTickerAndPrintNothing() throws Exception {
        withProgressMode("bar", () -> {
            ProgressBar bar = new ProgressBar(out, false);
            bar.step("denoise", 1, 4, 1);
            bar.close();
            int length = text().length();
            bar.step("denoise", 2, 4, 1);
            bar.stageStarted("decode");
            assertThat(bar.ticker()).as("no ticker after close").isNull();
            bar.stage("decode", 1);
            bar.note("late");
            bar.tick();
            Thread.sleep(1200);
            assertThat(text()).as(text()).hasSize(length).endsWith("\n");
        });
    }

    @Test
    void aStepBarAloneStartsTheTickerWhichEndsByItselfWhenTheStepsAreDone() throws Exception {
        withProgressMode("bar", () -> {
            ProgressBar bar = new ProgressBar(out, false);
            bar.step("denoise", 1, 2, 10); // 10 s left
            Thread ticker = bar.ticker();
            assertThat(ticker).as("a step bar between steps ticks").isNotNull();
            Thread.sleep(1500);
            assertThat(text()).containsPattern("ETA 0:0[6-9]");
            bar.step("denoise", 2, 2, 1);
            ticker.join(5000);
            assertThat(ticker.isAlive()).as("nothing open: the thread ends without close()").isFalse();
            assertThat(bar.ticker()).isNull();
            bar.close();
        });
    }

    @Test
    void plainModeWithTheRealTickerKeepsOneLinePerUpdateAndStartsNoThreadForSteps() throws Exception {
        withProgressMode("plain", () -> {
            ProgressBar bar = new ProgressBar(out, false);
            assertThat(bar.mode()).isEqualTo(ProgressBar.Mode.PLAIN);
            bar.step("denoise", 1, 3, 1);
            assertThat(bar.ticker()).as("plain mode redraws no step bar").isNull();
            Thread.sleep(1300);
            bar.step("denoise", 2, 3, 1);
            bar.step("denoise", 3, 3, 1);
            bar.stage("decode", 1);
            bar.close();
            assertThat(text()).doesNotContain("\r");
            String[] lines = text().split("\n");
            assertThat(lines).hasSize(3); // step 2 falls in the 5 s throttle
            assertThat(lines[0]).contains("1/3");
            assertThat(lines[1]).contains("3/3");
            assertThat(lines[2]).isEqualTo("decode   done in 1.00 s");
        });
    }

    @Test
    void quietShowsNoStageAndStartsNoThread() {
        ProgressBar quiet = new ProgressBar(out, true);
        quiet.stageStarted("load");
        quiet.step("denoise", 1, 4, 1);
        assertThat(quiet.ticker()).isNull();
        quiet.tick();
        quiet.stage("load", 1);
        quiet.close();
        assertThat(text()).isEmpty();
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("mmgp-progress") && t.isAlive());
    }

    @Test
    void modesParseByNameAndDurationsReadWell() {
        assertThat(ProgressBar.Mode.parse("Plain")).isEqualTo(ProgressBar.Mode.PLAIN);
        assertThatThrownBy(() -> ProgressBar.Mode.parse("fancy")).hasMessageContaining("use bar, plain or none");
        assertThat(ProgressBar.duration(0.421)).isEqualTo("0.42 s");
        assertThat(ProgressBar.duration(125)).isEqualTo("2 min 05 s");
        assertThat(ProgressBar.clock(3725)).isEqualTo("1:02:05");
    }
}
