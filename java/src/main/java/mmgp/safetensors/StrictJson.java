package mmgp.safetensors;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * The JSON parser for safetensors headers and index files: duplicate keys and trailing garbage are
 * errors (a duplicated tensor entry would otherwise silently shadow the first), nesting is bounded, and
 * every parse failure becomes a {@link SafetensorsFormatException} with its byte offset in the file.
 */
final class StrictJson {

    /** Headers nest three levels (root, tensor entry, shape); the bound only has to stop abuse. */
    private static final int MAX_NESTING = 64;

    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private StrictJson() {
    }

    /**
     * Parses {@code json}, which started at byte {@code fileOffset} of the file it came from.
     *
     * @param what names the document in messages, e.g. "header JSON"
     */
    static JsonNode parse(byte[] json, String what, long fileOffset) throws SafetensorsFormatException {
        try {
            JsonNode root = MAPPER.readTree(json);
            if (root == null || root.isMissingNode()) {
                throw new SafetensorsFormatException(what + " at byte offset " + fileOffset + " is empty");
            }
            return root;
        } catch (JacksonException e) {
            JsonLocation where = e.getLocation();
            String position = where != null && where.getByteOffset() >= 0
                    ? " at byte offset " + (fileOffset + where.getByteOffset())
                    : " starting at byte offset " + fileOffset;
            throw new SafetensorsFormatException(what + " is not valid JSON" + position + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new SafetensorsFormatException(what + " could not be read: " + e.getMessage(), e);
        }
    }

    /** The node's kind as a reader would name it, for "expected X, got Y" messages. */
    static String kind(JsonNode node) {
        return node == null ? "nothing" : node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }
}
