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

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code; errors become one clear line on stderr, no stack. */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        for (VerbProvider v : VerbProvider.all()) cli.addSubcommand(v.command());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            String what = ex instanceof NativeLibraryException ? "native libraries" : ex.getClass().getSimpleName();
            commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + what + ": " + ex.getMessage());
            if (Boolean.getBoolean("mmgp.debug")) ex.printStackTrace(commandLine.getErr());
            return 1;
        });
        return cli.execute(args);
    }
}
