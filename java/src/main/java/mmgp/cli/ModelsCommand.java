package mmgp.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import mmgp.api.Task;
import mmgp.registry.CatalogEntry;
import mmgp.registry.DiskSpaceException;
import mmgp.registry.InstalledModel;
import mmgp.registry.ModelCatalog;
import mmgp.registry.ModelManifest;
import mmgp.registry.ModelRegistry;
import mmgp.registry.VerificationReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code mmgp models}: the installed models; {@code verify}, {@code default} and {@code remove} act on them. */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "List installed models (task, weight type, size, source, whether their files match the manifest) and the models `mmgp pull` knows.",
        subcommands = {ModelsCommand.Verify.class, ModelsCommand.Default.class, ModelsCommand.Remove.class})
final class ModelsCommand implements Callable<Integer> {
    @Option(names = "--models", scope = picocli.CommandLine.ScopeType.INHERIT,
            description = "Registry folder (default: $MMGP_MODELS, else ~/.cache/mmgp/models).")
    Path models;

    ModelRegistry registry() {
        return ModelRegistry.open(models);
    }

    @Override
    public Integer call() throws Exception {
        ModelRegistry registry = registry();
        List<InstalledModel> installed = registry.list();
        System.out.println("models in " + registry.root());
        if (installed.isEmpty()) System.out.println("  (none installed)");
        else System.out.printf("  %-16s %-10s %-6s %10s  %-8s %-8s %s%n", "NAME", "TASK", "TYPE", "SIZE", "FILES", "DEFAULT", "SOURCE");
        for (InstalledModel m : installed) {
            ModelManifest mf = m.manifest();
            VerificationReport quick = registry.check(m, false);
            boolean isDefault = registry.defaultFor(mf.task()).map(m.name()::equals).orElse(false);
            System.out.printf("  %-16s %-10s %-6s %10s  %-8s %-8s %s@%s%n", m.name(), mf.task().label(), mf.weightType(), DiskSpaceException.human(mf.totalSize()),
                    quick.ok() ? "ok" : "DAMAGED", isDefault ? "yes" : "", mf.source().repo(), mf.source().revision().substring(0, Math.min(12, mf.source().revision().length())));
            if (!quick.ok()) for (String p : quick.problems()) System.out.println("      " + p);
        }
        for (Map.Entry<Path, String> bad : registry.unreadable().entrySet()) {
            System.out.println("  unreadable: " + bad.getKey() + ": " + bad.getValue());
        }
        System.out.println("(FILES checks presence and sizes; `mmgp models verify [NAME]` re-hashes every file)");
        System.out.println("\navailable to pull (mmgp pull NAME):");
        for (CatalogEntry e : ModelCatalog.entries()) {
            System.out.printf("  %-16s %-10s %s%n", e.name(), e.family().task().label(), e.repo());
        }
        return 0;
    }

    @Command(name = "verify", mixinStandardHelpOptions = true, description = "Re-hash installed models' files against their manifests; exit 1 on any mismatch.")
    static final class Verify implements Callable<Integer> {
        @ParentCommand
        ModelsCommand parent;

        @Parameters(arity = "0..*", paramLabel = "NAME", description = "Models to verify (default: all).")
        List<String> names;

        @Override
        public Integer call() throws Exception {
            ModelRegistry registry = parent.registry();
            List<String> which = names != null && !names.isEmpty() ? names : registry.list().stream().map(InstalledModel::name).toList();
            if (which.isEmpty()) {
                System.out.println("no models installed in " + registry.root());
                return 0;
            }
            int bad = 0;
            for (String name : which) {
                VerificationReport r = registry.verify(name);
                System.out.println(r);
                if (!r.ok()) bad++;
            }
            if (bad > 0) System.out.println(bad + " model(s) damaged: pull them again with mmgp pull NAME --force");
            return bad == 0 ? 0 : 1;
        }
    }

    @Command(name = "default", mixinStandardHelpOptions = true, description = "Show or set the model used for a task (understand, image, video).")
    static final class Default implements Callable<Integer> {
        @ParentCommand
        ModelsCommand parent;

        @Parameters(index = "0", paramLabel = "TASK", description = "understand, image or video.")
        String task;

        @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "Installed model to use (omit to show the current choice).")
        String name;

        @Override
        public Integer call() throws Exception {
            ModelRegistry registry = parent.registry();
            Task t = ModelManifest.task(task);
            if (name != null) registry.setDefault(t, name);
            Optional<InstalledModel> chosen = registry.installed(t);
            String how = registry.defaultIsAutomatic(t) ? ", chosen on install as the distilled model" : "";
            System.out.println(t.label() + ": " + chosen.map(m -> m.name() + " (" + m.entryPoint() + how + ")").orElse("no model installed (mmgp pull NAME)"));
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Delete an installed model.")
    static final class Remove implements Callable<Integer> {
        @ParentCommand
        ModelsCommand parent;

        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() throws Exception {
            parent.registry().remove(name);
            System.out.println("removed " + name);
            return 0;
        }
    }
}
