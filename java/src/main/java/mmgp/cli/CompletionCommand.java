package mmgp.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code mmgp completion bash|zsh}: a shell completion script for every verb and option, on stdout. */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Print a shell completion script for mmgp.",
                "bash: source <(./mmgp completion bash)   (or save it under /etc/bash_completion.d/)",
                "zsh:  source <(./mmgp completion zsh)    (in ~/.zshrc)"})
final class CompletionCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SHELL", description = "bash or zsh.")
    String shell;

    @Override
    public Integer call() {
        String script = AutoComplete.bash("mmgp", spec.root().commandLine());
        switch (shell) {
            case "bash" -> System.out.print(script);
            // picocli's script is bash; zsh runs it through its bash-completion emulation.
            case "zsh" -> System.out.print("autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n" + script);
            default -> throw new IllegalArgumentException("no completion for shell '" + shell + "'; use bash or zsh");
        }
        return 0;
    }
}
