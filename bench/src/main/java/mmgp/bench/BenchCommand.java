package mmgp.bench;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/**
 * A bench verb started by its own main ({@code ./mmgp bench e2e|kernels}): exits with picocli's code,
 * and remembers the command line as typed, which its report records.
 */
public abstract class BenchCommand implements Callable<Integer> {
    private final String verb;
    private String[] args = new String[0];

    protected BenchCommand(String verb) {
        this.verb = verb;
    }

    protected static void main(BenchCommand command, String[] args) {
        command.args = args.clone();
        System.exit(new CommandLine(command).execute(args));
    }

    /** How this run was asked for, e.g. "./mmgp bench e2e --quick". */
    protected String commandLine() {
        return String.join(" ", "./mmgp bench", verb, String.join(" ", args)).strip();
    }

    /** When a report was made, as reports state it: "2026-01-31 14:05 UTC". */
    protected static String reportDate() {
        return ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
    }
}
