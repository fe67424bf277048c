package mmgp.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import mmgp.safetensors.SafetensorsFile;
import mmgp.testing.Fixtures;
import org.junit.jupiter.api.Test;

/** The timetables of diffusers' FlowMatchEulerDiscreteScheduler as LTX-Video 0.9.0 and 0.9.5 configure it, to the bit. */
class FlowMatchEulerSchedulerTest {

    @Test
    void dynamicShiftWithTerminalStretchMatchesLtx090() throws Exception {
        var config = FlowMatchEulerScheduler.Config.from(new ObjectMapper().readTree("""
                {"base_image_seq_len":1024,"base_shift":0.95,"max_image_seq_len":4096,"max_shift":2.05,"num_train_timesteps":1000,
                 "shift":1.0,"shift_terminal":0.1,"time_shift_type":"exponential","use_dynamic_shifting":true}"""));
        assertThat(FlowMatchEulerScheduler.calculateShift(18, config)).isCloseTo(0.5897786458333333, org.assertj.core.data.Offset.offset(1e-15));
        FlowMatchEulerScheduler s = FlowMatchEulerScheduler.forPipeline(config, 4, 18);
        try (SafetensorsFile g = SafetensorsFile.open(Fixtures.golden("ltx_video", "scheduler_tables.safetensors"))) {
            assertThat(s.sigmas()).containsExactly(g.readFloats("sigmas"));
            assertThat(s.timesteps()).containsExactly(g.readFloats("timesteps"));
        }
    }

    @Test
    void staticShiftAndExplicitSchedulesMatchLtx095() throws Exception {
        var config = FlowMatchEulerScheduler.Config.from(new ObjectMapper().readTree("""
                {"base_image_seq_len":256,"base_shift":0.5,"max_image_seq_len":4096,"max_shift":1.15,"num_train_timesteps":1000,
                 "shift":1.0,"shift_terminal":null,"time_shift_type":"exponential","use_dynamic_shifting":false}"""));
        try (SafetensorsFile g = SafetensorsFile.open(Fixtures.golden("ltx_video_095", "scheduler_tables.safetensors"))) {
            FlowMatchEulerScheduler pipeline = FlowMatchEulerScheduler.forPipeline(config, 4, 18);
            assertThat(pipeline.sigmas()).containsExactly(g.readFloats("sigmas"));
            assertThat(pipeline.timesteps()).containsExactly(g.readFloats("timesteps"));
            FlowMatchEulerScheduler byTimesteps = FlowMatchEulerScheduler.fromTimesteps(config, new double[] {1000, 993, 987, 981, 975, 909, 725}, 0);
            assertThat(byTimesteps.sigmas()).containsExactly(g.readFloats("custom_timesteps_sigmas"));
            assertThat(byTimesteps.timesteps()).containsExactly(g.readFloats("custom_timesteps_timesteps"));
            FlowMatchEulerScheduler bySigmas = FlowMatchEulerScheduler.fromSigmas(config, new double[] {1.0, 0.95, 0.8, 0.5, 0.2}, 0);
            assertThat(bySigmas.sigmas()).containsExactly(g.readFloats("custom_sigmas_sigmas"));
            assertThat(bySigmas.timesteps()).containsExactly(g.readFloats("custom_sigmas_timesteps"));
        }
    }
}
