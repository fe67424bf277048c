package mmgp.server;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Drops Jetty's error reports of a client that went away mid-response (an SSE tab closed, a
 * download aborted): they are normal for a streaming service and would bury real errors.
 */
public final class ClientDisconnectFilter extends Filter<ILoggingEvent> {
    @Override
    public FilterReply decide(ILoggingEvent event) {
        for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
            String type = t.getClassName(), message = t.getMessage() == null ? "" : t.getMessage();
            if (type.equals("java.nio.channels.ClosedChannelException") || type.equals("org.eclipse.jetty.io.EofException")
                    || (type.equals("java.io.IOException") && (message.startsWith("Close SendCallback") || message.contains("Broken pipe")))) {
                return FilterReply.DENY;
            }
        }
        return FilterReply.NEUTRAL;
    }
}
