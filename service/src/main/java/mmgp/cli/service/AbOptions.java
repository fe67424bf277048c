package mmgp.cli.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import mmgp.api.Task;
import mmgp.engine.Engine;
import mmgp.registry.InstalledModel;
import mmgp.registry.ModelRegistry;
import picocli.CommandLine.Option;

/** {@code serve --ab image=amused-256:90,amused-512:10}: A/B routing of a task between models (see {@link Engine.Builder#variant}). */
final class AbOptions {
    @Option(names = "--ab", paramLabel = "TASK=MODEL:WEIGHT,MODEL:WEIGHT",
            description = {"A/B routing: split a task's requests between models by weight, e.g. image=amused-256:90,amused-512:10 "
                    + "(MODEL: an installed model's name, or a model path; repeatable, once per task). "
                    + "Jobs and the mmgp_requests_total / mmgp_request_duration_seconds metrics name their variant."})
    List<String> specs = new ArrayList<>();

    @Option(names = "--ab-seed", paramLabel = "N", description = "Seed of the A/B draws, for a reproducible split (default: the clock).")
    Long seed;

    /** The model paths the last {@link #configure} gave the engine (single models and variants). */
    private final List<Path> configured = new ArrayList<>();

    List<Path> configuredModels() {
        return List.copyOf(configured);
    }

    /** One variant: its name (the model's name or file name), model path and weight. */
    record Variant(Task task, String name, Path model, double weight) {}

    /** The variants of every --ab, per task in the order given; empty without --ab. */
    Map<Task, List<Variant>> resolve(Path registryRoot) throws IOException {
        Map<Task, List<Variant>> out = new EnumMap<>(Task.class);
        ModelRegistry registry = null;
        for (String spec : specs) {
            int eq = spec.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--ab must look like image=amused-256:90,amused-512:10, got " + spec);
            Task task = task(spec.substring(0, eq).strip());
            if (out.containsKey(task)) throw new IllegalArgumentException("--ab gives the " + task.label() + " task twice");
            List<Variant> variants = new ArrayList<>();
            for (String entry : spec.substring(eq + 1).split(",")) {
                int colon = entry.lastIndexOf(':');
                if (colon <= 0) throw new IllegalArgumentException("--ab " + task.label() + ": each model needs a weight, as amused-256:90; got " + entry);
                String model = entry.substring(0, colon).strip();
                double weight;
                try {
                    weight = Double.parseDouble(entry.substring(colon + 1).strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--ab " + task.label() + ": the weight of " + model + " is not a number: " + entry.substring(colon + 1));
                }
                Path path = Path.of(model);
                if (model.contains("/") || Files.exists(path)) {
                    if (!Files.exists(path)) throw new IllegalArgumentException("--ab " + task.label() + ": no such model file or folder: " + model);
                    String file = path.getFileName().toString();
                    variants.add(new Variant(task, file.endsWith(".gguf") ? file.substring(0, file.length() - 5) : file, path, weight));
                } else {
                    if (registry == null) registry = ModelRegistry.open(registryRoot);
                    InstalledModel installed = registry.require(model);
                    if (installed.manifest().task() != task) {
                        throw new IllegalArgumentException("--ab " + task.label() + ": " + model + " is an installed " + installed.manifest().task().label() + " model");
                    }
                    variants.add(new Variant(task, model, installed.entryPoint(), weight));
                }
            }
            if (variants.size() < 2) throw new IllegalArgumentException("--ab " + task.label() + " names one model; A/B routing needs two or more");
            out.put(task, variants);
        }
        return out;
    }

    /**
     * Configures {@code engine} with the models of {@code tasks} (every task with a model, when empty):
     * a task named by --ab gets its variants, any other the model {@code choice} gives it. Prints what
     * each task runs; returns the tasks configured.
     */
    Set<Task> configure(ModelChoice choice, Engine.Builder engine, Set<Task> tasks) throws Exception {
        Map<Task, List<Variant>> ab = resolve(choice.registry.folder());
        Map<Task, Path> chosen = choice.choose(ab.keySet());
        Set<Task> run = EnumSet.noneOf(Task.class);
        if (tasks.isEmpty()) {
            run.addAll(chosen.keySet());
            run.addAll(ab.keySet());
        } else {
            run.addAll(tasks);
        }
        if (run.isEmpty()) {
            throw new IllegalArgumentException("no model configured: give --image-model, --video-model or --understand-model (or --ab), or install one with mmgp pull");
        }
        Map<Task, List<Variant>> used = new EnumMap<>(Task.class);
        for (Task t : run) {
            if (ab.containsKey(t)) {
                used.put(t, ab.get(t));
            } else if (chosen.containsKey(t)) {
                Path companion = choice.companion(t);
                engine.model(t, chosen.get(t), companion);
                configured.add(chosen.get(t));
                System.out.println("  " + t.label() + ": " + chosen.get(t) + (companion != null ? " (text encoder from " + companion + ")" : ""));
            } else {
                throw new IllegalArgumentException("--tasks names " + t.label() + " but no " + t.label() + " model is configured or installed");
            }
        }
        for (Task t : ab.keySet()) {
            if (!run.contains(t)) throw new IllegalArgumentException("--ab " + t.label() + "=… names a task that --tasks leaves out");
        }
        applyTo(engine, used);
        used.values().forEach(list -> list.forEach(v -> configured.add(v.model())));
        return run;
    }

    /** Adds the variants to the engine (they replace the task's single model) and says so on stdout. */
    void applyTo(Engine.Builder engine, Map<Task, List<Variant>> variants) {
        if (seed != null) engine.variantSeed(seed);
        variants.forEach((task, list) -> {
            double total = list.stream().mapToDouble(Variant::weight).sum();
            StringBuilder line = new StringBuilder("  " + task.label() + " A/B:");
            for (Variant v : list) {
                engine.variant(task, v.name(), v.model(), v.weight());
                line.append(String.format(Locale.ROOT, " %s %.0f%% (%s)", v.name(), 100 * v.weight() / total, v.model()));
            }
            System.out.println(line);
        });
    }

    private static Task task(String name) {
        for (Task t : Task.values()) if (t.label().equalsIgnoreCase(name)) return t;
        throw new IllegalArgumentException("--ab: unknown task " + name + " (image, video or understand)");
    }
}
