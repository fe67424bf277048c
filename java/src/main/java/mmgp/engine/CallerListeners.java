package mmgp.engine;

import java.lang.System.Logger.Level;
import mmgp.api.ProgressListener;

/**
 * Calls into listeners supplied by callers. A batch serves several callers, so one caller's
 * throwing listener must not fail the others' requests: its exceptions are logged and dropped.
 */
final class CallerListeners {
    private static final System.Logger LOG = System.getLogger(CallerListeners.class.getName());

    private CallerListeners() {}

    static void call(Runnable event) {
        try {
            event.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "progress listener failed", e);
        }
    }

    /** The listener's own cancel request; a listener that throws here is taken as not cancelling. */
    static boolean cancelled(ProgressListener listener) {
        try {
            return listener.cancelled();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "progress listener failed", e);
            return false;
        }
    }
}
