package mmgp.server;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * The shape of the service's log on stderr: JSON, one object per line (the default, for log
 * shippers), or text, one readable line per event. logback.xml picks one from
 * {@code MMGP_LOG_FORMAT}; {@link #install()} switches a running process (serve/worker's
 * {@code --log-format}).
 */
public enum LogFormat {
    JSON, TEXT;

    /** The text layout; logback.xml's "text" appender uses the same. */
    public static final String TEXT_PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level %logger{36} [%thread]%replace( %X{request_id}){'^ $', ''} %msg%n%ex";

    /** "json" or "text", any case. */
    public static LogFormat parse(String name) {
        try {
            return valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("log format must be json or text, got " + name);
        }
    }

    /** The appender's name in logback.xml. */
    public String appenderName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Makes this the format of the root logger's console output: replaces the other format's
     * appender. Does nothing when logback is not the SLF4J binding (an embedding application's own).
     */
    public void install() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) return;
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (root.getAppender(appenderName()) != null) return;
        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(context);
        appender.setName(appenderName());
        appender.setTarget("System.err");
        ClientDisconnectFilter filter = new ClientDisconnectFilter();
        filter.start();
        appender.addFilter(filter);
        appender.setEncoder(encoder(context));
        appender.start();
        root.addAppender(appender);
        for (LogFormat other : values()) {
            if (other != this) {
                var old = root.getAppender(other.appenderName());
                if (old != null) {
                    root.detachAppender(old);
                    old.stop();
                }
            }
        }
    }

    private Encoder<ILoggingEvent> encoder(LoggerContext context) {
        if (this == TEXT) {
            PatternLayoutEncoder text = new PatternLayoutEncoder();
            text.setContext(context);
            text.setPattern(TEXT_PATTERN);
            text.start();
            return text;
        }
        JsonEncoder json = new JsonEncoder(); // as configured in logback.xml
        json.setContext(context);
        json.setWithSequenceNumber(false);
        json.setWithNanoseconds(false);
        json.setWithArguments(false);
        json.setWithFormattedMessage(true);
        json.start();
        return json;
    }
}
