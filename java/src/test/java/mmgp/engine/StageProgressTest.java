package mmgp.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mmgp.api.ProgressListener;
import org.junit.jupiter.api.Test;

/** A pipeline stage's events, stageStarted included, reach the caller under the stage's name. */
class StageProgressTest {
    @Test
    void everyEventIsForwardedWithThePipelineStagesName() {
        List<String> events = new CopyOnWriteArrayList<>();
        ProgressListener caller = new ProgressListener() {
            @Override
            public void stageStarted(String stage) {
                events.add("began " + stage);
            }

            @Override
            public void step(String stage, int done, int total, double seconds) {
                events.add("step " + stage + " " + done + "/" + total);
            }

            @Override
            public void stage(String stage, double seconds) {
                events.add("ended " + stage);
            }
        };
        StageProgress video = new StageProgress("video", caller, () -> false);
        video.stageStarted("decode");
        video.step("decode", 1, 2, 0.5);
        video.stage("decode", 1.0);
        assertThat(events).containsExactly("began video.decode", "step video.decode 1/2", "ended video.decode");
    }
}
