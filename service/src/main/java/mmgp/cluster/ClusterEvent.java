package mmgp.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One record of the events topic, keyed by job id. {@code type} is an SSE event name the front
 * ends pass on ("status", "progress", "stage", "text"), "finished" (the job's final state, as
 * GET /api/requests/{id} shows it, published once its end is stored) or "cancel" (a front end
 * asking the worker that runs the job to stop it).
 */
public record ClusterEvent(String jobId, String type, String data) {
    public static final String FINISHED = "finished";
    public static final String CANCEL = "cancel";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The record's value: {"type": …, "data": {…}}. */
    public String value() {
        try {
            return JSON.createObjectNode().put("type", type).set("data", JSON.readTree(data)).toString();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("event data is not JSON: " + data, e);
        }
    }

    /** Null for a value that is not an event (skipped by readers). */
    public static ClusterEvent parse(String key, String value) {
        try {
            JsonNode n = JSON.readTree(value);
            if (key == null || !n.hasNonNull("type")) return null;
            return new ClusterEvent(key, n.get("type").asText(), n.path("data").toString());
        } catch (JsonProcessingException e) {
            return null;
        }
    }
}
