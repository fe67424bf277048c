package mmgp.models.engine;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import mmgp.api.Task;
import mmgp.engine.spi.BatchModel;
import mmgp.engine.spi.ModelProvider;
import mmgp.graph.Numerics;
import mmgp.models.smolvlm.SmolVlmConverter;
import mmgp.models.smolvlm.SmolVlmProcessor;
import mmgp.models.smolvlm.SmolVlmUnderstanding;
import mmgp.tensor.GgmlType;

/**
 * SmolVLM2 (video/image + prompt → text) for the engine. Opens what {@link SmolVlmUnderstanding#open(Path, Path, SmolVlmUnderstanding.Settings)}
 * opens (a folder from {@code mmgp convert --model smolvlm}: text GGUF + mmproj-*.gguf, with or
 * without the processor files; or the text GGUF with its mmproj beside it), and also a Hugging
 * Face SmolVLM folder, converted to F32 GGUFs in a temporary folder on open (meant for the tiny
 * test checkpoint; a real model should be converted once with {@code mmgp convert}).
 */
public final class SmolVlmProvider implements ModelProvider {
    private static final Set<String> HF_MODEL_TYPES = Set.of("smolvlm", "idefics3");
    private static final List<String> PROCESSOR_FILES = List.of("vocab.json", "merges.txt", "preprocessor_config.json");
    /** The architecture llama.cpp's converter (and SmolVlmConverter) gives the SmolVLM text model. */
    private static final String TEXT_ARCH = "llama";
    /** Prefix of the temp folders the on-the-fly conversion writes (ApiServer removes stale ones at start too). */
    public static final String SCRATCH_PREFIX = "mmgp-smolvlm-";

    @Override
    public Task task() {
        return Task.UNDERSTAND;
    }

    @Override
    public String family() {
        return "smolvlm2";
    }

    @Override
    public boolean canOpen(Path model) {
        if (Files.isDirectory(model)) return isHuggingFaceFolder(model) || isConvertedFolder(model);
        return TEXT_ARCH.equals(ModelDetection.ggufArchitecture(model)) && ggufs(model.toAbsolutePath().getParent()).stream().anyMatch(SmolVlmProvider::isMmproj);
    }

    @Override
    public BatchModel<?, ?> open(Path model, int threads, Numerics numerics) throws IOException {
        // EXACT: F32 KV cache and no flash attention, as the understand verb's --exact
        SmolVlmUnderstanding.Settings settings = SmolVlmUnderstanding.Settings.defaults().withExactNumerics(numerics == Numerics.EXACT);
        if (threads > 0) settings = settings.withThreads(threads);
        String routes = ", numerics " + numerics.label();
        if (!isHuggingFaceFolder(model)) {
            return new SmolVlmBatchModel(SmolVlmUnderstanding.open(model, null, settings), "SmolVLM2 " + model + routes, null);
        }
        mmgp.io.ScratchFolders.removeStale(SCRATCH_PREFIX); // what a killed process left behind
        Path scratch = mmgp.io.ScratchFolders.create(SCRATCH_PREFIX);
        try {
            SmolVlmConverter.Output files = SmolVlmConverter.convert(model, scratch, GgmlType.F32);
            SmolVlmUnderstanding understanding = SmolVlmUnderstanding.open(files.textModel(), files.mmproj(), SmolVlmProcessor.load(model), settings);
            return new SmolVlmBatchModel(understanding, "SmolVLM2 " + model + " (converted to F32 GGUFs in " + scratch + ")" + routes, scratch);
        } catch (IOException | RuntimeException e) {
            mmgp.io.ScratchFolders.delete(scratch);
            throw e;
        }
    }

    /** config.json of a SmolVLM / Idefics3 model, safetensors weights and the processor's files. */
    public static boolean isHuggingFaceFolder(Path folder) {
        if (!Files.isDirectory(folder)) return false;
        JsonNode config = ModelDetection.readJson(folder.resolve("config.json"));
        if (config == null || !HF_MODEL_TYPES.contains(config.path("model_type").asText())) return false;
        if (!PROCESSOR_FILES.stream().allMatch(f -> Files.isRegularFile(folder.resolve(f)))) return false;
        try (Stream<Path> files = Files.list(folder)) {
            return files.anyMatch(p -> p.getFileName().toString().endsWith(".safetensors"));
        } catch (IOException e) {
            return false;
        }
    }

    /** One llama-architecture text GGUF and one mmproj-*.gguf, as {@code mmgp convert --model smolvlm} writes them. */
    private static boolean isConvertedFolder(Path folder) {
        List<Path> ggufs = ggufs(folder);
        List<Path> texts = ggufs.stream().filter(p -> !isMmproj(p)).toList();
        return texts.size() == 1 && ggufs.size() - texts.size() == 1 && TEXT_ARCH.equals(ModelDetection.ggufArchitecture(texts.getFirst()));
    }

    private static List<Path> ggufs(Path dir) {
        if (dir == null || !Files.isDirectory(dir)) return List.of();
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf") && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static boolean isMmproj(Path file) {
        return file.getFileName().toString().toLowerCase(Locale.ROOT).startsWith("mmproj");
    }
}
