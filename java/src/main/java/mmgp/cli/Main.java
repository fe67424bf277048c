package mmgp.cli;

import mmgp.bindings.NativeLibraryException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The mmgp command line: one verb per subcommand. */
@Command(name = "mmgp", mixinStandardHelpOptions = true, version = "mmgp 0.1.0",
        description = "Local multimodal generation engine: Java over ggml kernels.",
        subcommands = {CheckCommand.class, ConvertCommand.class, GgufCommand.class, ModelsCommand.class, NativeCommand.class, PullCommand.class, ServeCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--progress", scope = CommandLine.ScopeType.INHERIT, paramLabel = "bar|plain|none",
            description = "How progress is shown: a bar redrawn in place (default on a terminal), plain lines (default when stderr is a file or pipe), or none.")
    void progress(String mode) {
        System.setProperty("mmgp.progress", ProgressBar.Mode.parse(mode).name());
    }

    @CommandLine.Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "On failure, also name the exception and print its stack trace.")
    void verbose(boolean on) {
        if (on) System.setProperty("mmgp.verbose", "true");
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * A failure as the sentence its message says, without the exception's class, which only
     * {@code --verbose} adds. An exception without a message has only its class to say what
     * happened: that, and the first cause with a message.
     */
    static String describe(Throwable ex, boolean verbose) {
        String msg = ex.getMessage();
        if (ex instanceof NativeLibraryException) return "native libraries: " + msg;
        if (msg == null || msg.isBlank()) {
            String text = ex.getClass().getSimpleName();
            for (Throwable c = ex.getCause(); c != null; c = c.getCause()) {
                if (c.getMessage() != null && !c.getMessage().isBlank()) return text + ": " + c.getMessage();
            }
            return text;
        }
        return verbose ? ex.getClass().getSimpleName() + ": " + msg : msg;
    }

    /** Runs the CLI and returns its exit code; errors become one clear line on stderr, no stack. */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        for (VerbProvider v : VerbProvider.all()) cli.addSubcommand(v.command());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean verbose = Boolean.getBoolean("mmgp.verbose") || Boolean.getBoolean("mmgp.debug");
            commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + describe(ex, verbose));
            if (verbose) ex.printStackTrace(commandLine.getErr());
            return 1;
        });
        return cli.execute(args);
    }
}
