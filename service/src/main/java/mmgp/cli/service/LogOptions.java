package mmgp.cli.service;

import java.util.Locale;
import mmgp.server.LogFormat;
import picocli.CommandLine.Option;

/** The log options of the long-running verbs (serve, worker); the environment variables are their defaults. */
final class LogOptions {
    @Option(names = "--log-format", paramLabel = "json|text", defaultValue = "${env:MMGP_LOG_FORMAT:-json}",
            description = "Log lines on stderr: one JSON object each, or readable text (default: $MMGP_LOG_FORMAT, else json).")
    String format;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "Level of mmgp's own loggers: ERROR, WARN, INFO, DEBUG or TRACE (default: $MMGP_LOG_LEVEL, else INFO).")
    String level;

    /** Applies both before anything is logged; a bad value fails the verb with a message that names the option. */
    void apply() {
        LogFormat chosen;
        try {
            chosen = LogFormat.parse(format);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--log-format must be json or text, got " + format);
        }
        if (level != null) {
            String name = level.strip().toUpperCase(Locale.ROOT);
            if (!java.util.List.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE").contains(name)) {
                throw new IllegalArgumentException("--log-level must be ERROR, WARN, INFO, DEBUG or TRACE, got " + level);
            }
            for (String logger : new String[] {"mmgp", "mmgp.engine"}) {
                if (org.slf4j.LoggerFactory.getLogger(logger) instanceof ch.qos.logback.classic.Logger l) {
                    l.setLevel(ch.qos.logback.classic.Level.toLevel(name));
                }
            }
        }
        chosen.install();
    }
}
