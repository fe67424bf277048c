package mmgp.models;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Typed reads from a Hugging Face config.json with errors that name the config and the field
 * ("T5 config field 'd_model' must be an integer, got 4.5").
 */
public record ConfigReader(String configName, JsonNode json) {
    public int requiredInt(String field) {
        return asInt(field, required(field));
    }

    public int optionalInt(String field, int absent) {
        JsonNode v = json.get(field);
        return v == null || v.isNull() ? absent : asInt(field, v);
    }

    public double requiredNumber(String field) {
        JsonNode v = required(field);
        if (!v.isNumber()) throw new IllegalArgumentException(configName + " field '" + field + "' must be a number, got " + v);
        return v.asDouble();
    }

    public String requiredText(String field) {
        JsonNode v = required(field);
        if (!v.isTextual()) throw new IllegalArgumentException(configName + " field '" + field + "' must be a string, got " + v);
        return v.asText();
    }

    public JsonNode required(String field) {
        JsonNode v = json.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException(configName + " is missing '" + field + "'");
        return v;
    }

    private int asInt(String field, JsonNode v) {
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException(configName + " field '" + field + "' must be an integer, got " + v);
        }
        return v.asInt();
    }
}
