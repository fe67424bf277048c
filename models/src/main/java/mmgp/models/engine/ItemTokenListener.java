package mmgp.models.engine;

import mmgp.api.ProgressListener;
import mmgp.models.smolvlm.SmolVlmUnderstanding;

/**
 * One request of an understanding batch as SmolVLM hears it: its text pieces, steps and stages
 * go to that request's caller, and it stops when that caller cancels (or the whole batch is).
 */
record ItemTokenListener(ProgressListener item, ProgressListener batch) implements SmolVlmUnderstanding.TokenListener {
    @Override
    public void token(String piece) {
        item.text("generate", piece);
    }

    @Override
    public void step(String stage, int done, int total, double seconds) {
        item.step(stage, done, total, seconds);
    }

    @Override
    public void stage(String stage, double seconds) {
        item.stage(stage, seconds);
    }

    @Override
    public boolean cancelled() {
        return item.cancelled() || batch.cancelled();
    }
}
