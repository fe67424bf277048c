package mmgp.engine;

import java.util.List;
import mmgp.api.Media;
import mmgp.api.StageTimings;
import mmgp.api.UnderstandRequest;
import mmgp.api.UnderstandResult;
import mmgp.engine.spi.BatchItem;
import mmgp.engine.spi.CostEstimate;

/**
 * Answers "a caption about &lt;file name&gt;" (nothing for a file whose name contains "silent"),
 * streaming it word by word to the caller's listener.
 */
final class FakeUnderstandModel extends FakeBatchModel<UnderstandRequest, UnderstandResult> {
    @Override
    public void validate(UnderstandRequest request) {}

    /** 1 MiB per request (a KV cache); 10⁹ FLOPs per new token. */
    @Override
    public CostEstimate estimate(List<UnderstandRequest> batch) {
        double flops = batch.stream().mapToDouble(r -> r.options().maxNewTokens() * 1e9).sum();
        return new CostEstimate(batch.size() == 1 ? "a question" : batch.size() + " questions", batch.size() * (1L << 20), flops, null, null);
    }

    @Override
    public Object batchKey(UnderstandRequest request) {
        return request.options();
    }

    @Override
    String prompt(UnderstandRequest request) {
        return request.prompt();
    }

    @Override
    int steps(UnderstandRequest request) {
        return 3;
    }

    @Override
    String stepStage() {
        return "generate";
    }

    @Override
    UnderstandResult result(BatchItem<UnderstandRequest> item, int batchSize, StageTimings timings) {
        String text = caption(item.request().media());
        List<String> words = text.isEmpty() ? List.of() : List.of(text.split(" "));
        for (String word : words) item.listener().text("generate", word + " ");
        return new UnderstandResult(text, 12, words.size(), 1, 0.01, 100.0, "end_of_utterance", timings, batchSize);
    }

    private static String caption(Media media) {
        String name = media instanceof Media.VideoFile(var file) ? file.getFileName().toString() : "nothing";
        return name.contains("silent") ? "" : "a caption about " + name;
    }
}
