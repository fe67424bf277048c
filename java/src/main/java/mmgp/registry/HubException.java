package mmgp.registry;

import java.io.IOException;

/** The hub answered with an HTTP error; {@link #status()} tells which (401 gated, 404 missing…). */
public final class HubException extends IOException {
    private final int status;

    public HubException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
