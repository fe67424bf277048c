package mmgp.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import mmgp.api.ImageResult;
import mmgp.api.PipelineResult;
import mmgp.api.StageTimings;
import mmgp.api.UnderstandResult;
import mmgp.api.VideoResult;

/**
 * The measurements of a result without its pixels, as JSON: what the service reports under
 * "result" and writes as result.json, and what {@code mmgp pipeline} writes next to its files,
 * so the two read the same.
 */
public final class ResultSummary {
    private ResultSummary() {}

    public static ObjectNode of(ObjectMapper json, Object result) {
        return switch (result) {
            case UnderstandResult u -> understand(json, u);
            case ImageResult i -> image(json, i);
            case VideoResult v -> video(json, v);
            case PipelineResult p -> {
                ObjectNode n = json.createObjectNode();
                if (p.caption() != null) n.set("caption", understand(json, p.caption()));
                if (p.image() != null) n.set("image", image(json, p.image()));
                if (p.video() != null) n.set("video", video(json, p.video()));
                if (p.failedStage() != null) n.put("failed_stage", p.failedStage()).put("error", p.error());
                n.set("timings", timings(json, p.timings()));
                yield n;
            }
            default -> throw new IllegalArgumentException("unknown result type " + result.getClass().getName());
        };
    }

    private static ObjectNode understand(ObjectMapper json, UnderstandResult u) {
        ObjectNode n = json.createObjectNode().put("text", u.text()).put("prompt_tokens", u.promptTokens())
                .put("generated_tokens", u.generatedTokens()).put("frames_used", u.framesUsed())
                .put("time_to_first_token_s", u.timeToFirstTokenSeconds()).put("tokens_per_second", u.tokensPerSecond())
                .put("stop_reason", u.stopReason()).put("batch_size", u.batchSize());
        n.set("timings", timings(json, u.timings()));
        return n;
    }

    private static ObjectNode image(ObjectMapper json, ImageResult i) {
        ObjectNode n = json.createObjectNode().put("width", i.width()).put("height", i.height()).put("seed", i.seed()).put("batch_size", i.batchSize());
        n.set("timings", timings(json, i.timings()));
        return n;
    }

    private static ObjectNode video(ObjectMapper json, VideoResult v) {
        ObjectNode n = json.createObjectNode().put("frames", v.frames()).put("width", v.width()).put("height", v.height())
                .put("frame_rate", v.frameRate()).put("seed", v.seed()).put("batch_size", v.batchSize());
        n.set("timings", timings(json, v.timings()));
        return n;
    }

    /** The seconds per stage; empty when there are none. */
    public static ObjectNode timings(ObjectMapper json, StageTimings t) {
        ObjectNode n = json.createObjectNode();
        if (t != null) t.seconds().forEach(n::put);
        return n;
    }
}
