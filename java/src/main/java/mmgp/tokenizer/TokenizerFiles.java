package mmgp.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reading the JSON files of a Hugging Face tokenizer folder (tokenizer_config.json, special_tokens_map.json…). */
public final class TokenizerFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerFiles() {}

    /** A token given as a plain string or as an AddedToken object with "content"; null if absent. */
    public static String tokenContent(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        JsonNode content = node.get("content");
        return content != null && content.isTextual() ? content.textValue() : null;
    }

    /** A BPE vocab.json: token → id. */
    public static java.util.Map<String, Integer> readVocab(Path file) throws IOException {
        JsonNode root = JSON.readTree(file.toFile());
        if (root == null || !root.isObject()) {
            throw new IOException(file + ": expected a JSON object of token -> id");
        }
        java.util.Map<String, Integer> vocab = new java.util.HashMap<>(root.size() * 2);
        for (java.util.Map.Entry<String, JsonNode> entry : root.properties()) {
            JsonNode id = entry.getValue();
            if (!id.isIntegralNumber() || !id.canConvertToInt()) {
                throw new IOException(file + ": id of " + entry.getKey() + " is not an int: " + id);
            }
            vocab.put(entry.getKey(), id.intValue());
        }
        return vocab;
    }

    /** The JSON object in {@code file}, or null when the file does not exist. */
    public static JsonNode readOptionalJson(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        JsonNode node = JSON.readTree(file.toFile());
        if (node == null || !node.isObject()) {
            throw new IOException(file + ": expected a JSON object");
        }
        return node;
    }

    /**
     * Reads the special tokens {@code keys} (e.g. "bos_token") of a tokenizer_config.json or
     * special_tokens_map.json into {@code named}, and its additional_special_tokens into {@code additional},
     * replacing what an earlier file gave: transformers applies the files in that order, the later winning.
     */
    public static void readNamedTokens(JsonNode node, java.util.List<String> keys, java.util.Map<String, String> named,
                                       java.util.List<String> additional) {
        for (String key : keys) {
            String content = tokenContent(node.get(key));
            if (content != null) {
                named.put(key, content);
            }
        }
        JsonNode list = node.get("additional_special_tokens");
        if (list != null && list.isArray()) {
            additional.clear();
            for (JsonNode token : list) {
                String content = tokenContent(token);
                if (content != null) {
                    additional.add(content);
                }
            }
        }
    }
}
