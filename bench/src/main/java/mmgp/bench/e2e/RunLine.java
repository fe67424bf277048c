package mmgp.bench.e2e;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The lines the child JVM prints on stdout, one JSON object each behind a fixed prefix so that
 * anything else a native library prints cannot be mistaken for a result.
 */
final class RunLine {
    static final String RUN = "MMGP-BENCH-RUN ";
    static final String END = "MMGP-BENCH-END ";
    private static final ObjectMapper JSON = new ObjectMapper();

    private RunLine() {}

    /** One run: {"run": i, "warmup": b, "metrics": {...}, "work": {...}}; work may be empty. */
    record Run(int run, boolean warmup, Map<String, Double> metrics, Map<String, StageWork> work) {
        Run {
            work = work == null ? Map.of() : work;
        }

        Run(int run, boolean warmup, Map<String, Double> metrics) {
            this(run, warmup, metrics, Map.of());
        }
    }

    /**
     * The child's closing line: model load time, peak RSS, what was run, each stage's throughput and
     * the CPU peaks it was measured against (both may be absent).
     */
    record End(double loadSeconds, long peakRssBytes, String sizeLabel, List<StageRate> rates, PeakInfo peaks) {
        End {
            rates = rates == null ? List.of() : rates;
        }

        End(double loadSeconds, long peakRssBytes, String sizeLabel) {
            this(loadSeconds, peakRssBytes, sizeLabel, List.of(), null);
        }
    }

    static String format(Run r) {
        return RUN + write(r);
    }

    static String format(End e) {
        return END + write(e);
    }

    private static String write(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + o, e);
        }
    }

    /** The parsed run line, or null when the line is not one. */
    static Run parseRun(String line) {
        if (!line.startsWith(RUN)) return null;
        try {
            Run r = JSON.readValue(line.substring(RUN.length()), Run.class);
            return new Run(r.run(), r.warmup(), new LinkedHashMap<>(r.metrics()), new LinkedHashMap<>(r.work()));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed run line: " + line, e);
        }
    }

    static End parseEnd(String line) {
        if (!line.startsWith(END)) return null;
        try {
            return JSON.readValue(line.substring(END.length()), End.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed end line: " + line, e);
        }
    }
}
