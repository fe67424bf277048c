package mmgp.convert;

import java.io.IOException;

/**
 * Converts any safetensors checkpoint keeping its tensor names (see
 * {@link ConversionPlan#addCheckpoint}); for inspection, tests and models whose graph reads
 * Hugging Face names directly.
 */
final class RawConverter implements ModelConverter {
    @Override
    public String id() {
        return "raw";
    }

    @Override
    public String description() {
        return "any safetensors checkpoint, tensor names kept (no model graph uses it; for inspection and tests)";
    }

    @Override
    public void plan(HfCheckpoint checkpoint, ConversionPlan plan) throws IOException {
        plan.metadata().putString("general.architecture", "raw");
        plan.metadata().putString("general.name", checkpoint.root().getFileName().toString());
        plan.addCheckpoint(checkpoint);
    }
}
