package mmgp.models.smolvlm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The files of a converted SmolVLM2 model: the text GGUF, its mmproj, and the Hugging Face processor folder
 * when the model directory also holds vocab.json, merges.txt and preprocessor_config.json. Found from a
 * directory or from the text GGUF, so the CLI and the engine accept either.
 */
record SmolVlmModelFiles(Path textModel, Path mmproj, Path processorFolder) {
    static SmolVlmModelFiles locate(Path model, Path mmproj) throws IOException {
        if (!Files.exists(model)) {
            throw new IOException("no SmolVLM model at " + model + ": convert HuggingFaceTB/SmolVLM2-256M-Video-Instruct with "
                    + "`mmgp convert --model smolvlm <hf-folder> " + model + "`, or pass the directory holding the text GGUF and its mmproj");
        }
        Path dir = Files.isDirectory(model) ? model : model.toAbsolutePath().getParent();
        Path text;
        if (Files.isDirectory(model)) {
            List<Path> texts = ggufs(dir).stream().filter(p -> !isMmproj(p)).toList();
            if (texts.isEmpty()) throw new IOException(dir + " holds no text model GGUF (a *.gguf not named mmproj-*)");
            if (texts.size() > 1) throw new IOException(dir + " holds several text model GGUFs " + names(texts) + ": pass one as --model");
            text = texts.get(0);
        } else {
            text = model;
        }
        if (mmproj == null) {
            List<Path> projectors = ggufs(dir).stream().filter(SmolVlmModelFiles::isMmproj).toList();
            if (projectors.isEmpty()) throw new IOException("no mmproj-*.gguf beside " + text + ": pass --mmproj");
            if (projectors.size() > 1) throw new IOException(dir + " holds several projectors " + names(projectors) + ": pass --mmproj");
            mmproj = projectors.get(0);
        }
        requireFile(mmproj, "mmproj GGUF");
        boolean hfProcessor = Stream.of("vocab.json", "merges.txt", "preprocessor_config.json").allMatch(f -> Files.isRegularFile(dir.resolve(f)));
        return new SmolVlmModelFiles(text, mmproj, hfProcessor ? dir : null);
    }

    private static boolean isMmproj(Path p) {
        return p.getFileName().toString().toLowerCase(Locale.ROOT).startsWith("mmproj");
    }

    private static List<Path> ggufs(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf") && Files.isRegularFile(p))
                    .sorted().toList();
        }
    }

    private static String names(List<Path> files) {
        return files.stream().map(p -> p.getFileName().toString()).toList().toString();
    }

    static void requireFile(Path file, String what) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("no " + what + " at " + file);
    }
}
