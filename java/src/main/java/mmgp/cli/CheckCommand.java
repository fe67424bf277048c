package mmgp.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import mmgp.check.CaseResult;
import mmgp.check.FixtureCases;
import mmgp.check.FixtureRunner;
import mmgp.check.TensorComparison;
import mmgp.graph.ComputeBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mmgp check <fixture-dir>}: every golden case of a fixture folder, with max errors and PASS/FAIL. */
@Command(mixinStandardHelpOptions = true, name = "check", description = {"Run every case of a golden fixture folder (golden/cases.json) and print max errors and PASS/FAIL; exit 1 on any FAIL.",
        "Given a folder of fixture folders (e.g. ../shared/fixtures), runs each of them in turn."})
final class CheckCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FIXTURE_DIR", description = "Folder with checkpoint/ and golden/cases.json, or a folder of such folders.")
    Path dir;

    @Option(names = "--case", description = "Run only the cases with these names.", split = ",")
    java.util.List<String> only;

    @Option(names = "--threads", defaultValue = "0", description = "CPU threads (0 = one per core).")
    int threads;

    @Option(names = "--numerics", defaultValue = "exact", converter = NumericsConverter.class,
            description = "exact (default): the fp32 routes, judged against the goldens' tolerances. fast: the routes image/video use "
                    + "by default; every case's errors (max and relative RMS) are printed and judged against --fast-bound instead.")
    mmgp.graph.Numerics numerics;

    @Option(names = "--fast-bound", defaultValue = "1e-2",
            description = "With --numerics fast: the largest relative RMS error a float output may have (default ${DEFAULT-VALUE}); integer outputs must match exactly.")
    double fastBound;

    /** Cases run so far across the fixture folders of this invocation. */
    private int casesRun;

    @Override
    public Integer call() throws Exception {
        if (java.nio.file.Files.isRegularFile(dir.resolve("golden/cases.json"))) return check(dir, true);
        java.util.List<Path> fixtures;
        try (var children = java.nio.file.Files.list(dir)) {
            fixtures = children.filter(p -> java.nio.file.Files.isRegularFile(p.resolve("golden/cases.json"))).sorted().toList();
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException("no such folder: " + dir);
        }
        if (fixtures.isEmpty()) throw new IllegalArgumentException(dir + " is not a fixture folder (no golden/cases.json) and holds none");
        java.util.List<String> failing = new java.util.ArrayList<>();
        int ranBefore = casesRun;
        for (Path f : fixtures) {
            try {
                if (check(f, false) != 0) failing.add(f.getFileName().toString());
            } catch (Exception e) {
                System.out.println("FAIL " + f.getFileName() + ": " + e.getMessage());
                failing.add(f.getFileName().toString());
            }
            System.out.println();
        }
        if (casesRun == ranBefore) throw new IllegalArgumentException("no case matched " + only + " in any fixture folder of " + dir);
        System.out.printf("%s: %d fixture folders, %d failed%s%n", failing.isEmpty() ? "PASS" : "FAIL", fixtures.size(), failing.size(),
                failing.isEmpty() ? "" : " (" + String.join(", ", failing) + ")");
        return failing.isEmpty() ? 0 : 1;
    }

    /** One fixture folder; {@code alone}: a --case that matches nothing is an error (else the folder is skipped). */
    private int check(Path dir, boolean alone) throws Exception {
        FixtureCases fixture = FixtureCases.load(dir);
        FixtureRunner runner = FixtureRunner.forModel(fixture.model());
        System.out.printf("%s: model %s, %d cases%n", dir, fixture.model(), fixture.cases().size());
        int failed = 0, ran = 0;
        boolean fast = numerics == mmgp.graph.Numerics.FAST;
        if (fast) System.out.printf("numerics fast: float outputs judged by relative RMS ≤ %.1e, integer outputs exactly%n", fastBound);
        try (ComputeBackend backend = ComputeBackend.cpu(threads, numerics)) {
            for (FixtureCases.Case c : fixture.cases()) {
                if (only != null && !only.contains(c.name())) continue;
                ran++;
                long t0 = System.nanoTime();
                CaseResult r;
                try {
                    r = runner.run(fixture, c, backend);
                } catch (Exception | LinkageError e) {
                    r = CaseResult.failed(c.name(), e.getClass().getSimpleName() + ": " + e.getMessage(), (System.nanoTime() - t0) / 1e9);
                }
                boolean passed = fast ? r.error() == null && !r.comparisons().isEmpty() && r.comparisons().stream().allMatch(this::withinFastBound) : r.passed();
                System.out.printf("%-4s %-24s %6.2f s%s%n", passed ? "PASS" : "FAIL", c.name(), r.seconds(), r.error() == null ? "" : "  " + r.error());
                for (TensorComparison t : r.comparisons()) {
                    boolean ok = fast ? withinFastBound(t) : t.passed();
                    System.out.printf("       %-4s %-40s n=%-8d max|err| %.3e  max rel %.3e  rel RMS %.3e %s%n",
                            ok ? "ok" : "BAD", t.name(), t.elements(), t.maxAbs(), t.maxRel(), t.relRms(), fast || ok ? "" : t.detail());
                }
                if (!passed) failed++;
            }
        }
        casesRun += ran;
        if (ran == 0) {
            if (alone) throw new IllegalArgumentException("no case matched " + only);
            System.out.println("no case matched " + only + "; skipped");
            return 0;
        }
        System.out.printf("%s: %d passed, %d failed%n", failed == 0 ? "PASS" : "FAIL", ran - failed, failed);
        return failed == 0 ? 0 : 1;
    }

    /**
     * Under fast numerics float outputs are judged by their relative RMS error; integer outputs
     * (ids, masks, sampled tokens) must still match exactly, so a token flipped by the faster
     * route shows as a FAIL rather than passing as noise.
     */
    private boolean withinFastBound(TensorComparison t) {
        if (t.integer()) return t.passed();
        return !Double.isNaN(t.relRms()) && t.relRms() <= fastBound;
    }
}
