package mmgp.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Wall-clock seconds per stage of one request, in the order the stages ran. */
public final class StageTimings {
    private final Map<String, Double> seconds = new LinkedHashMap<>();

    public void add(String stage, double secs) {
        seconds.merge(stage, secs, Double::sum);
    }

    public Map<String, Double> seconds() {
        return Collections.unmodifiableMap(seconds);
    }

    public double total() {
        return seconds.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        seconds.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(k).append(' ').append(String.format("%.3f s", v)));
        return sb.toString();
    }
}
