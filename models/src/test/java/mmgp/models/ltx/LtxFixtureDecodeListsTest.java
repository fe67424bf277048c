package mmgp.models.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import mmgp.api.VideoOptions;
import mmgp.bindings.NativeLibraries;
import mmgp.check.CaseResult;
import mmgp.check.FixtureCases;
import mmgp.graph.ComputeBackend;
import mmgp.registry.ModelDefaults;
import org.junit.jupiter.api.Test;

/**
 * The golden runner reads a case's decode_timestep / decode_noise_scale as diffusers takes them,
 * a float or one value per prompt, and its prompts times num_videos_per_prompt.
 */
class LtxFixtureDecodeListsTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/ltx_video_095");
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void floatsAndListsAreOnePerPrompt() throws Exception {
        List<VideoOptions> o = LtxFixtureRunner.options(json.readTree("{\"decode_timestep\": [0.05, 0.1], \"decode_noise_scale\": 0.025}"), 2);
        assertThat(o).extracting(VideoOptions::decodeTimestep).containsExactly(0.05f, 0.1f);
        assertThat(o).extracting(VideoOptions::decodeNoiseScale).containsExactly(0.025f, 0.025f);
        List<VideoOptions> none = LtxFixtureRunner.options(json.readTree("{\"decode_timestep\": [0.05, 0.1], \"decode_noise_scale\": null}"), 2);
        assertThat(none).extracting(v -> LtxDefaults.resolve(v, ModelDefaults.NONE).decodeNoiseScale()).as("None: the timesteps").containsExactly(0.05f, 0.1f);
        assertThat(LtxFixtureRunner.options(json.readTree("{}"), 1)).extracting(VideoOptions::decodeTimestep).as("the pipelines' default").containsExactly(0f);
        assertThatThrownBy(() -> LtxFixtureRunner.options(json.readTree("{\"decode_timestep\": [0.05, 1.5]}"), 2))
                .hasMessageContaining("decode_timestep: must be in [0, 1], got 1.5");
    }

    @Test
    void eachPromptIsRepeatedForItsVideos() throws Exception {
        JsonNode kw = json.readTree("{\"prompt\": [\"a\", \"b\"], \"num_videos_per_prompt\": 2}");
        assertThat(LtxFixtureRunner.prompts(kw)).containsExactly("a", "a", "b", "b");
        assertThat(LtxFixtureRunner.prompts(json.readTree("{\"prompt\": \"a\", \"num_videos_per_prompt\": null}"))).containsExactly("a");
        assertThatThrownBy(() -> LtxFixtureRunner.prompts(json.readTree("{\"prompt\": \"a\", \"num_videos_per_prompt\": 0}")))
                .hasMessageContaining("num_videos_per_prompt");
        // Lists stay per prompt: with two videos per prompt they fit only as one value (as torch's broadcast).
        JsonNode listed = json.readTree("{\"decode_timestep\": [0.05, 0.1]}");
        assertThatThrownBy(() -> LtxFixtureRunner.options(listed, LtxFixtureRunner.prompts(kw).size())).hasMessageContaining("2 decode timesteps for 4 prompts");
    }

    /** e2e_nocfg's float kwargs written as per-prompt lists: the same call to diffusers, so the same golden passes. */
    @Test
    void theEndToEndCaseWithPerPromptListsPasses() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        FixtureCases fixture = FixtureCases.load(FIXTURE);
        FixtureCases.Case c = fixture.cases().stream().filter(x -> x.name().equals("e2e_nocfg")).findFirst().orElseThrow();
        ObjectNode spec = c.spec().deepCopy();
        ObjectNode kw = (ObjectNode) spec.get("pipeline_kwargs");
        int prompts = kw.get("prompt").size();
        assertThat(prompts).isEqualTo(2);
        for (String knob : new String[] {"decode_timestep", "decode_noise_scale"}) {
            float value = kw.get(knob).floatValue();
            var list = json.createArrayNode();
            for (int i = 0; i < prompts; i++) list.add(value);
            kw.set(knob, list);
        }
        try (ComputeBackend backend = ComputeBackend.cpu(2)) {
            CaseResult r = new LtxFixtureRunner().run(fixture, new FixtureCases.Case(c.name(), c.file(), spec), backend);
            assertThat(r.passed()).as(r.error() + " " + r.comparisons()).isTrue();
            // and a list that differs per prompt is used per prompt: the second video no longer matches
            ((com.fasterxml.jackson.databind.node.ArrayNode) kw.get("decode_noise_scale")).set(1, 0.5f);
            CaseResult changed = new LtxFixtureRunner().run(fixture, new FixtureCases.Case(c.name(), c.file(), spec), backend);
            assertThat(changed.passed()).isFalse();
        }
    }
}
