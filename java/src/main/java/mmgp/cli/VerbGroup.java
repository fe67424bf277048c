package mmgp.cli;

import picocli.CommandLine;

/** A verb whose work is done by its subcommands: given none, it prints its usage. */
public abstract class VerbGroup implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
