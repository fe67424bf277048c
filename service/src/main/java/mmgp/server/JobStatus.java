package mmgp.server;

import java.util.Locale;

/** Where a request stands; the last three are final. */
public enum JobStatus {
    QUEUED, RUNNING, DONE, FAILED, CANCELLED;

    public boolean terminal() {
        return this == DONE || this == FAILED || this == CANCELLED;
    }

    /** Lower-case name used in JSON and the job table. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static JobStatus of(String label) {
        return valueOf(label.toUpperCase(Locale.ROOT));
    }
}
