package mmgp.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Set;

/**
 * Typed, strict access to the fields of one JSON object (or of a multipart form, whose values
 * arrive as text): an unknown field, a wrong type or a number out of its type's range is a 400
 * naming the field, with the path prefix of nested objects ("image.steps").
 */
final class Fields {
    private final ObjectNode node;
    private final String prefix;
    private final boolean textNumbers;

    /** @param textNumbers accept numbers written as text (form fields) */
    Fields(JsonNode node, String prefix, boolean textNumbers, Set<String> allowed) {
        this(node, prefix, textNumbers, allowed, false);
    }

    /**
     * The fields of a /v1 body: as OpenAI's clients send an unset optional parameter as null,
     * an unknown field whose value is null is ignored rather than refused.
     */
    static Fields openAi(JsonNode node, Set<String> allowed) {
        return new Fields(node, "", false, allowed, true);
    }

    private Fields(JsonNode node, String prefix, boolean textNumbers, Set<String> allowed, boolean ignoreNullUnknown) {
        if (node == null || node.isNull() || node.isMissingNode()) node = JsonNodeFactory.instance.objectNode();
        if (!node.isObject()) throw ApiException.badRequest(prefix.isEmpty() ? "body" : strip(prefix), "must be a JSON object");
        this.node = (ObjectNode) node;
        this.prefix = prefix;
        this.textNumbers = textNumbers;
        for (Iterator<String> it = this.node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f) && !(ignoreNullUnknown && this.node.get(f).isNull())) throw ApiException.badRequest(prefix + f, "unknown field " + prefix + f + "; accepted: " + String.join(", ", allowed.stream().sorted().toList()));
        }
    }

    String name(String field) {
        return prefix + field;
    }

    String requiredText(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) throw ApiException.badRequest(name(field), name(field) + " is required");
        if (!v.isTextual()) throw ApiException.badRequest(name(field), name(field) + " must be a string");
        if (v.asText().isBlank()) throw ApiException.badRequest(name(field), name(field) + " must not be blank");
        return v.asText();
    }

    String text(String field, String dflt) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) return dflt;
        if (!v.isTextual()) throw ApiException.badRequest(name(field), name(field) + " must be a string");
        return v.asText();
    }

    int integer(String field, int dflt) {
        long v = longValue(field, dflt);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw ApiException.badRequest(name(field), name(field) + " is out of range: " + v);
        return (int) v;
    }

    long longValue(String field, long dflt) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) return dflt;
        if (v.isIntegralNumber() && v.canConvertToLong()) return v.asLong();
        if (textNumbers && v.isTextual()) {
            try {
                return Long.parseLong(v.asText().strip());
            } catch (NumberFormatException e) {
                // falls through to the error below
            }
        }
        throw ApiException.badRequest(name(field), name(field) + " must be an integer");
    }

    float number(String field, float dflt) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) return dflt;
        double d;
        if (v.isNumber()) d = v.asDouble();
        else if (textNumbers && v.isTextual()) {
            try {
                d = Double.parseDouble(v.asText().strip());
            } catch (NumberFormatException e) {
                throw ApiException.badRequest(name(field), name(field) + " must be a number");
            }
        } else throw ApiException.badRequest(name(field), name(field) + " must be a number");
        if (!Double.isFinite(d) || Math.abs(d) > Float.MAX_VALUE) throw ApiException.badRequest(name(field), name(field) + " must be a finite number");
        return (float) d;
    }

    /** A nested object (empty when absent). */
    JsonNode object(String field) {
        JsonNode v = node.get(field);
        if (v != null && !v.isNull() && !v.isObject()) throw ApiException.badRequest(name(field), name(field) + " must be a JSON object");
        return v;
    }

    private static String strip(String prefix) {
        return prefix.endsWith(".") ? prefix.substring(0, prefix.length() - 1) : prefix;
    }
}
