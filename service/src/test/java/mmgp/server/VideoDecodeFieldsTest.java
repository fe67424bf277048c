package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import mmgp.api.InvalidRequestException;
import mmgp.api.VideoOptions;
import mmgp.api.VideoRequest;
import org.junit.jupiter.api.Test;

/**
 * decode_timestep and decode_noise_scale of a video request: parsed from JSON, form text and the
 * pipeline's video options, stored with the job (the record a cluster worker parses back) and
 * read back unchanged, null meaning "the model's".
 */
class VideoDecodeFieldsTest {
    private final ObjectMapper json = new ObjectMapper();
    private final RequestParser parser = new RequestParser(json, new RequestLimits(1000, 1000, 1000, 1000, 1000));

    @Test
    void jsonValuesReachTheOptionsAndSurviveTheStoredRecord() throws Exception {
        VideoRequest r = parser.video(json.readTree("{\"prompt\":\"waves\",\"decode_timestep\":0.1,\"decode_noise_scale\":0.025}"));
        assertThat(r.options().decodeTimestep()).isEqualTo(0.1f);
        assertThat(r.options().decodeNoiseScale()).isEqualTo(0.025f);
        assertRoundTrip(r);

        // Through the record's text, as it travels to a worker.
        String record = json.writeValueAsString(parser.toJson(r));
        assertThat(parser.video(json.readTree(record)).options()).isEqualTo(r.options());
    }

    /** The cluster path: the job row's request text, run by a worker's {@link StoredRequests}, reaches the model with the settings. */
    @Test
    void aWorkerRunsTheStoredRecordWithTheSettings(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        FakeModels models = new FakeModels(dir);
        VideoRequest r = parser.video(json.readTree("{\"prompt\":\"waves\",\"frames\":9,\"width\":32,\"height\":32,\"steps\":1,"
                + "\"decode_timestep\":0.15,\"decode_noise_scale\":null}"));
        var now = java.time.Instant.now();
        var record = new JobRecord("job-1", "video", JobStatus.QUEUED, now, now, parser.toJson(r).toString(), null, null, "key", java.util.List.of());
        try (var engine = models.builder(4).build()) {
            var job = new StoredRequests(json, new ResultFiles(dir.resolve("data"), json)).start(engine, record, mmgp.api.ProgressListener.NONE);
            job.result().get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertThat(models.lastVideo.options()).isEqualTo(r.options());
        assertThat(models.lastVideo.options().decodeTimestep()).isEqualTo(0.15f);
        assertThat(models.lastVideo.options().decodeNoiseScale()).isNaN();
    }

    @Test
    void absentOrNullIsTheModelsAndIsNotStored() throws Exception {
        for (String body : new String[] {"{\"prompt\":\"waves\"}", "{\"prompt\":\"waves\",\"decode_timestep\":null,\"decode_noise_scale\":null}"}) {
            VideoOptions o = parser.video(json.readTree(body)).options();
            assertThat(o.decodeGiven()).as(body).isFalse();
            JsonNode stored = parser.toJson(new VideoRequest("waves", o));
            // Left out, so a worker that predates the fields still reads the stored job.
            assertThat(stored.has("decode_timestep")).isFalse();
            assertThat(stored.has("decode_noise_scale")).isFalse();
            assertThat(parser.video(stored).options().decodeGiven()).isFalse();
        }
        VideoRequest onlyTimestep = parser.video(json.readTree("{\"prompt\":\"waves\",\"decode_timestep\":0}"));
        assertThat(onlyTimestep.options().decodeTimestep()).isZero();
        assertThat(onlyTimestep.options().decodeNoiseScale()).isNaN();
        assertRoundTrip(onlyTimestep);
    }

    @Test
    void formTextAndPipelineOptionsCarryThemToo() throws Exception {
        VideoRequest form = parser.video(json.readTree("{\"prompt\":\"waves\",\"decode_timestep\":\"0.2\",\"decode_noise_scale\":\" 0.3 \"}"), null, true);
        assertThat(form.options().decodeTimestep()).isEqualTo(0.2f);
        assertThat(form.options().decodeNoiseScale()).isEqualTo(0.3f);
        var pipeline = parser.pipeline(json.readTree("{\"video\":{\"decode_timestep\":0.07}}"));
        assertThat(pipeline.video().decodeTimestep()).isEqualTo(0.07f);
        assertThat(parser.pipeline(parser.toJson(pipeline)).video()).isEqualTo(pipeline.video());
    }

    @Test
    void badValuesNameTheirField() {
        assertField("{\"prompt\":\"x\",\"decode_timestep\":1.5}", false, "decode_timestep");
        assertField("{\"prompt\":\"x\",\"decode_noise_scale\":-0.1}", false, "decode_noise_scale");
        assertField("{\"prompt\":\"x\",\"decode_timestep\":\"high\"}", false, "decode_timestep");
        assertField("{\"prompt\":\"x\",\"decode_noise_scale\":\"lots\"}", true, "decode_noise_scale");
        assertField("{\"prompt\":\"x\",\"decode_timestep\":[0.1,0.2]}", false, "decode_timestep");
        assertThatThrownBy(() -> parser.pipeline(json.readTree("{\"video\":{\"decode_noise_scale\":2}}")))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("video.decode_noise_scale"));
    }

    private void assertField(String body, boolean form, String field) {
        assertThatThrownBy(() -> parser.video(json.readTree(body), null, form)).as(body).satisfies(e -> assertThat(switch (e) {
            case ApiException a -> a.field();
            case InvalidRequestException i -> i.field();
            default -> throw new AssertionError("unexpected " + e);
        }).isEqualTo(field));
    }

    private void assertRoundTrip(VideoRequest r) {
        assertThat(parser.video(parser.toJson(r)).options()).isEqualTo(r.options());
    }
}
