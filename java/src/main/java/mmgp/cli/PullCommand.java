package mmgp.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import mmgp.registry.CatalogEntry;
import mmgp.registry.DiskSpaceException;
import mmgp.registry.HubClient;
import mmgp.registry.ModelCatalog;
import mmgp.registry.ModelFamily;
import mmgp.registry.ModelPuller;
import mmgp.registry.ModelRegistry;
import mmgp.tensor.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mmgp pull <name>}: download from the Hugging Face hub, verify, convert, install. */
@Command(name = "pull", mixinStandardHelpOptions = true,
        description = {"Download a model from the Hugging Face hub (resumable, checksum-verified), convert it to GGUF and install it in the model registry.",
                "Known names: smolvlm2-256m, amused-256, amused-512, ltx-video; any other repository with --repo and --family.",
                "Gated or private repositories need HF_TOKEN; HF_ENDPOINT selects a mirror."})
final class PullCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME", description = "Registry name of the model (see `mmgp models`).")
    String name;

    @Option(names = "--type", description = "Weight type: q8_0 (default), f16, bf16 or f32; aMUSEd and LTX-Video also q5_1, q5_0, q4_1, q4_0. Checked before any download.")
    String type;

    @Option(names = "--revision", description = "Branch, tag or commit to pull (default: main).")
    String revision;

    @Option(names = "--endpoint", description = "Hub URL (default: $HF_ENDPOINT, else " + HubClient.DEFAULT_ENDPOINT + ").")
    String endpoint;

    @picocli.CommandLine.Mixin
    RegistryOption registry = new RegistryOption();

    @Option(names = "--repo", description = "Pull this hub repository (owner/name) under NAME instead of a known model; needs --family.")
    String repo;

    @Option(names = "--family", description = "Converter for --repo: amused, ltx or smolvlm.")
    String family;

    @Option(names = "--keep-download", description = "Keep the downloaded checkpoint under <models>/.downloads after installing.")
    boolean keepDownload;

    @Option(names = "--force", description = "Pull and convert again even if the same source files and type are installed.")
    boolean force;

    @picocli.CommandLine.Mixin
    QuietOption quiet = new QuietOption();

    @Override
    public Integer call() throws Exception {
        CatalogEntry entry;
        if (repo != null) {
            if (family == null) throw new IllegalArgumentException("--repo needs --family amused|ltx|smolvlm (which converter reads it)");
            entry = new CatalogEntry(name, repo, "main", ModelFamily.byName(family), GgmlType.Q8_0);
        } else {
            if (family != null) throw new IllegalArgumentException("--family only goes with --repo");
            entry = ModelCatalog.byName(name);
        }
        if (revision != null) entry = entry.withRevision(revision);
        GgmlType weights = type == null ? entry.defaultType() : parseType(type, entry);
        entry.family().requireType(weights); // before the hub is asked anything
        ModelRegistry models = registry.open();
        ModelPuller puller = new ModelPuller(models, HubClient.fromEnvironment(endpoint), new PullProgress(System.err, quiet.quiet()));
        ModelPuller.Result r = puller.pull(entry, weights, keepDownload, force);
        var m = r.model().manifest();
        String source = m.source().repo() + "@" + m.source().revision().substring(0, 12);
        if (r.upToDate()) {
            System.out.printf("%s is up to date (%s, %s) at %s; --force pulls it again%n", m.name(), source, m.weightType(), r.model().entryPoint());
        } else {
            System.out.printf("installed %s (%s model, %s, %s) from %s at %s; downloaded %s in %.1f s%n", m.name(), m.task().label(), m.weightType(),
                    DiskSpaceException.human(m.totalSize()), source, r.model().entryPoint(), DiskSpaceException.human(r.downloadedBytes()), r.seconds());
        }
        if (r.defaultChanged()) {
            System.out.printf("%s is now the default %s model (distilled: few steps, no guidance); choose another with mmgp models default %s NAME%n",
                    m.name(), m.task().label(), m.task().label());
        }
        // the model is installed and usable by name: a default that could not be recorded is a warning, not a failed pull
        if (r.defaultProblem() != null) System.err.println("warning: " + r.defaultProblem());
        return 0;
    }

    private static GgmlType parseType(String t, CatalogEntry entry) {
        try {
            return GgmlType.valueOf(t.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown --type '" + t + "'; " + entry.name() + " takes " + entry.family().typeList());
        }
    }
}
