package mmgp.models;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Typed reads from a Hugging Face config.json with errors that name the config and the field
 * ("T5 config field 'd_model' must be an integer, got 4.5"). A required field must be present and
 * not null; an optional one takes the given value when it is absent or null.
 */
public record ConfigReader(String configName, JsonNode json) {

    /**
     * A reader for the config of the diffusers/transformers class {@code className}: the JSON must be an
     * object, and its {@code _class_name}, when it names one, must name that class.
     */
    public static ConfigReader forClass(String className, JsonNode json) {
        if (json == null || !json.isObject()) throw new IllegalArgumentException(className + " config must be a JSON object");
        JsonNode cls = json.get("_class_name");
        if (cls != null && !cls.isNull() && !cls.isTextual()) {
            throw new IllegalArgumentException(className + " config field '_class_name' must be a string, got " + cls);
        }
        if (cls != null && cls.isTextual() && !cls.asText().equals(className)) {
            throw new IllegalArgumentException("config is for " + cls.asText() + ", not " + className);
        }
        return new ConfigReader(className + " config", json);
    }

    public JsonNode required(String field) {
        JsonNode v = present(field);
        if (v == null) throw new IllegalArgumentException(configName + " is missing '" + field + "'");
        return v;
    }

    /** The field's value, or null when it is absent or null. */
    public JsonNode present(String field) {
        JsonNode v = json.get(field);
        return v == null || v.isNull() ? null : v;
    }

    public int requiredInt(String field) {
        return asInt(field, required(field));
    }

    public int optionalInt(String field, int absent) {
        return optional(field, absent, this::asInt);
    }

    public double requiredNumber(String field) {
        return asNumber(field, required(field));
    }

    public double optionalNumber(String field, double absent) {
        return optional(field, absent, this::asNumber);
    }

    public boolean requiredBoolean(String field) {
        return asBoolean(field, required(field));
    }

    public boolean optionalBoolean(String field, boolean absent) {
        return optional(field, absent, this::asBoolean);
    }

    public String requiredText(String field) {
        return asText(field, required(field));
    }

    public String optionalText(String field, String absent) {
        return optional(field, absent, this::asText);
    }

    public List<Integer> requiredIntList(String field) {
        return list(field, required(field), this::asInt);
    }

    public List<Integer> optionalIntList(String field, List<Integer> absent) {
        return optional(field, absent, (f, v) -> list(f, v, this::asInt));
    }

    public List<Boolean> optionalBooleanList(String field, List<Boolean> absent) {
        return optional(field, absent, (f, v) -> list(f, v, this::asBoolean));
    }

    public List<String> requiredTextList(String field) {
        return list(field, required(field), this::asText);
    }

    public List<String> optionalTextList(String field, List<String> absent) {
        return optional(field, absent, (f, v) -> list(f, v, this::asText));
    }

    /** A JSON list of entries that {@code entry} reads; an entry's error names it as field[i]. */
    private <T> List<T> list(String field, JsonNode v, BiFunction<String, JsonNode, T> entry) {
        if (!v.isArray()) throw wrongType(field, "a list", v);
        List<T> out = new ArrayList<>(v.size());
        for (int i = 0; i < v.size(); i++) out.add(entry.apply(field + "[" + i + "]", v.get(i)));
        return out;
    }

    private <T> T optional(String field, T absent, BiFunction<String, JsonNode, T> read) {
        JsonNode v = present(field);
        return v == null ? absent : read.apply(field, v);
    }

    private int asInt(String field, JsonNode v) {
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw wrongType(field, "an integer", v);
        return v.asInt();
    }

    private double asNumber(String field, JsonNode v) {
        if (!v.isNumber()) throw wrongType(field, "a number", v);
        return v.asDouble();
    }

    private boolean asBoolean(String field, JsonNode v) {
        if (!v.isBoolean()) throw wrongType(field, "true or false", v);
        return v.asBoolean();
    }

    private String asText(String field, JsonNode v) {
        if (!v.isTextual()) throw wrongType(field, "a string", v);
        return v.asText();
    }

    private IllegalArgumentException wrongType(String field, String expected, JsonNode v) {
        return new IllegalArgumentException(configName + " field '" + field + "' must be " + expected + ", got " + v);
    }
}
