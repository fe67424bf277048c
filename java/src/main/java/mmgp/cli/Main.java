package mmgp.cli;

import mmgp.bindings.NativeLibraryException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The mmgp command line: one verb per subcommand. */
@Command(name = "mmgp", mixinStandardHelpOptions = true, version = "mmgp 0.1.0",
        description = "Local multimodal generation engine: Java over ggml kernels.")
public final class Main extends VerbGroup {
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
        String label = label(ex);
        if (label != null && msg != null && !msg.isBlank() && !verbose) return label + ": " + msg;
        if (msg == null || msg.isBlank()) {
            String text = ex.getClass().getSimpleName();
            for (Throwable c = ex.getCause(); c != null; c = c.getCause()) {
                if (c.getMessage() != null && !c.getMessage().isBlank()) return text + ": " + c.getMessage();
            }
            return text;
        }
        return verbose ? ex.getClass().getSimpleName() + ": " + msg : msg;
    }

    /** Verbs for using models, listed first in the help. */
    static final java.util.List<String> USER_VERBS = java.util.List.of("demo", "image", "video", "understand", "pipeline", "serve", "worker", "cluster",
            "pull", "models", "completion", "help");
    /** Verbs for checking, converting and inspecting, listed after the user verbs. */
    static final java.util.List<String> DEVELOPER_VERBS = java.util.List.of("check", "convert", "gguf", "native", "random-weights");

    private static String name(Object command) {
        return command.getClass().getAnnotation(Command.class).name();
    }

    /** The command list in two groups, each with the first line of every verb's description. */
    private static String groupedCommandList(CommandLine.Help help) {
        var commands = help.commandSpec().subcommands();
        if (commands.isEmpty()) return "";
        StringBuilder user = new StringBuilder(), dev = new StringBuilder();
        for (var e : commands.entrySet()) {
            var usage = e.getValue().getCommandSpec().usageMessage();
            String[] d = usage.header().length > 0 ? usage.header() : usage.description();
            String first = d.length == 0 ? "" : d[0].replace("%n", " ").strip();
            int stop = first.indexOf(". ");
            if (stop > 0) first = first.substring(0, stop + 1);
            String line = String.format(java.util.Locale.ROOT, "  %-15s %s%n", e.getKey(), first);
            (USER_VERBS.contains(e.getKey()) ? user : dev).append(line);
        }
        return user + "%nDeveloper commands:%n".formatted() + dev;
    }

    /**
     * What a file or network exception meant, for those whose message is only a path or a host
     * (an AccessDeniedException says "/root/x" and nothing else); null for the others.
     */
    private static String label(Throwable ex) {
        return switch (ex) {
            case java.nio.file.NoSuchFileException e -> "no such file or folder";
            case java.nio.file.AccessDeniedException e -> "permission denied";
            case java.nio.file.FileAlreadyExistsException e -> "already exists";
            case java.nio.file.DirectoryNotEmptyException e -> "folder not empty";
            case java.nio.file.NotDirectoryException e -> "not a folder";
            case java.net.UnknownHostException e -> "unknown host";
            default -> null;
        };
    }

    /** Runs the CLI and returns its exit code; errors become one clear line on stderr, no stack. */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        java.util.Map<String, Object> verbs = new java.util.HashMap<>();
        for (Object o : new Object[] {new CheckCommand(), new ConvertCommand(), new GgufCommand(), new ModelsCommand(), new NativeCommand(),
                new PullCommand(), new CompletionCommand(), new CommandLine.HelpCommand()}) verbs.put(name(o), o);
        // The model verbs (mmgp-models) and serve, worker and cluster (mmgp-service) come through the SPI.
        for (VerbProvider v : VerbProvider.all()) {
            for (Object command : v.commands()) verbs.put(name(command), command);
        }
        // User verbs first, in the order a newcomer meets them; then the developer verbs; then any other.
        for (String n : USER_VERBS) if (verbs.containsKey(n)) cli.addSubcommand(verbs.remove(n));
        for (String n : DEVELOPER_VERBS) if (verbs.containsKey(n)) cli.addSubcommand(verbs.remove(n));
        verbs.keySet().stream().sorted().forEach(n -> cli.addSubcommand(verbs.get(n)));
        cli.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST, Main::groupedCommandList);
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean verbose = Boolean.getBoolean("mmgp.verbose") || Boolean.getBoolean("mmgp.debug");
            commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + describe(ex, verbose));
            if (verbose) ex.printStackTrace(commandLine.getErr());
            return 1;
        });
        return cli.execute(args);
    }
}
