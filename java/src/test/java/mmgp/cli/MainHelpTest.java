package mmgp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MainHelpTest {
    static String stdout(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            assertThat(Main.run(args)).isZero();
        } finally {
            System.setOut(old);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void helpListsUserVerbsBeforeDeveloperVerbs() {
        String help = stdout("--help");
        assertThat(help).containsOnlyOnce("Commands:").contains("Developer commands:");
        int user = help.indexOf("  pull "), dev = help.indexOf("Developer commands:"), check = help.indexOf("  check ");
        assertThat(user).isPositive().isLessThan(dev);
        assertThat(check).isGreaterThan(dev);
        assertThat(help).doesNotContain("%n");
    }

    @Test
    void completionScriptsCoverTheVerbs() {
        String bash = stdout("completion", "bash");
        assertThat(bash).contains("complete -F").contains("pull").contains("convert").contains("--progress");
        assertThat(stdout("completion", "zsh")).startsWith("autoload -U +X compinit").contains("bashcompinit").contains("complete -F");
    }
}
