package mmgp.bench.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * llama.cpp's own multimodal CLI on the same GGUFs, image and prompt, as the SmolVLM2 peer. Its
 * figures come from the log it prints at verbosity 4 (per-tile "mtmd batch encoding done in N ms"
 * and llama_perf_context_print's prompt-eval and eval lines); its peak RSS is polled from /proc
 * while it runs.
 */
public final class MtmdCliPeer {
    private static final Pattern TILE = Pattern.compile("mtmd batch encoding done in (\\d+(?:\\.\\d+)?) ms");
    private static final Pattern PROMPT_EVAL = Pattern.compile("llama_perf_context_print: prompt eval time =\\s*([\\d.]+) ms /\\s*(\\d+) tokens");
    private static final Pattern EVAL = Pattern.compile("llama_perf_context_print:\\s+eval time =\\s*([\\d.]+) ms /\\s*(\\d+) runs");

    private MtmdCliPeer() {}

    /**
     * The peer's figures. {@code prefillSeconds} is the prompt-eval time minus the vision encoder
     * (llama.cpp counts both as prompt processing), so it compares with mmgp's LLM prefill.
     */
    public record Figures(int tiles, double visionPerTileSeconds, double prefillSeconds, int generatedTokens,
                          double decodeTokensPerSecond, double wallSeconds, long peakRssBytes) {}

    /** One run's result: figures, or why there are none. */
    public record Outcome(String command, Figures figures, String skipped) {}

    /** Parses the CLI's log; fails naming the line that is missing. */
    static Figures parse(String log, double wallSeconds, long peakRssBytes) {
        List<Double> tiles = new ArrayList<>();
        Matcher t = TILE.matcher(log);
        while (t.find()) tiles.add(Double.parseDouble(t.group(1)) / 1e3);
        Matcher p = PROMPT_EVAL.matcher(log);
        Matcher e = EVAL.matcher(log);
        if (!p.find()) throw new IllegalArgumentException("no 'prompt eval time' line in llama-mtmd-cli's output (run with -lv 4?)");
        if (!e.find()) throw new IllegalArgumentException("no 'eval time' line in llama-mtmd-cli's output (run with -lv 4?)");
        if (tiles.isEmpty()) throw new IllegalArgumentException("no 'mtmd batch encoding done' line: the image was not encoded");
        double promptEval = Double.parseDouble(p.group(1)) / 1e3;
        double evalSeconds = Double.parseDouble(e.group(1)) / 1e3;
        int evalRuns = Integer.parseInt(e.group(2));
        double visionTotal = tiles.stream().mapToDouble(Double::doubleValue).sum();
        // The first token comes out of the prompt evaluation; each eval run decodes one more.
        return new Figures(tiles.size(), StageStats.medianOf(tiles), Math.max(0, promptEval - visionTotal), evalRuns + 1,
                evalSeconds > 0 ? evalRuns / evalSeconds : Double.NaN, wallSeconds, peakRssBytes);
    }

    /**
     * The median of each figure over several runs of the CLI (its tile count and token count are the
     * same in every run): one run against mmgp's median of several would judge mmgp by the load of
     * the moments it ran and the peer by one moment's.
     */
    static Figures median(List<Figures> runs) {
        if (runs.isEmpty()) throw new IllegalArgumentException("no llama-mtmd-cli runs to summarise");
        return new Figures(runs.get(0).tiles(), StageStats.medianOf(runs.stream().map(Figures::visionPerTileSeconds).toList()),
                StageStats.medianOf(runs.stream().map(Figures::prefillSeconds).toList()), runs.get(0).generatedTokens(),
                StageStats.medianOf(runs.stream().map(Figures::decodeTokensPerSecond).toList()),
                StageStats.medianOf(runs.stream().map(Figures::wallSeconds).toList()),
                runs.stream().mapToLong(Figures::peakRssBytes).max().orElse(-1));
    }

    /**
     * Runs the CLI {@code runs} times ({@link #run}) and keeps the median figures; the first failure
     * ends it with that run's reason.
     */
    static Outcome runMedian(Path binary, Path modelFolder, Path image, int tokens, int threads, int runs) throws IOException, InterruptedException {
        if (runs < 1) throw new IllegalArgumentException("llama-mtmd-cli runs must be at least 1, got " + runs);
        List<Figures> figures = new ArrayList<>();
        Outcome last = null;
        for (int i = 0; i < runs; i++) {
            last = run(binary, modelFolder, image, tokens, threads);
            if (last.figures() == null) return last;
            figures.add(last.figures());
        }
        return new Outcome(last.command(), median(figures), null);
    }

    /** The decode rate of a CLI log's eval line (runs ÷ eval seconds), NaN when the log has none. */
    static double decodeRate(String log) {
        Matcher e = EVAL.matcher(log);
        if (!e.find()) return Double.NaN;
        double seconds = Double.parseDouble(e.group(1)) / 1e3;
        return seconds > 0 ? Integer.parseInt(e.group(2)) / seconds : Double.NaN;
    }

    /** llama-mtmd-cli of the pinned native build, or null when the build has none. */
    static Path binary(Path nativeDir) {
        Path bin = nativeDir.resolve("bin").resolve("llama-mtmd-cli");
        return Files.isExecutable(bin) ? bin : null;
    }

    /** Runs the CLI once on the SmolVLM folder (text GGUF + mmproj-*.gguf). */
    static Outcome run(Path binary, Path modelFolder, Path image, int tokens, int threads) throws IOException, InterruptedException {
        Path[] ggufs = ggufs(modelFolder);
        Path text = ggufs[0], mmproj = ggufs[1];
        // Same decoding as mmgp's side: greedy, a fixed number of tokens (EOG masked), the SmolVLM chat template.
        List<String> cmd = List.of(binary.toString(), "-m", text.toString(), "--mmproj", mmproj.toString(), "--image", image.toString(),
                "-p", SmolVlmWorkload.PROMPT, "-n", Integer.toString(tokens), "--temp", "0", "--ignore-eos", "-t", Integer.toString(threads),
                "--chat-template", "smolvlm", "-lv", "4");
        Path log = Files.createTempFile("mmgp-mtmd-cli", ".log");
        try {
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            long peak = -1;
            while (!p.waitFor(50, TimeUnit.MILLISECONDS)) peak = Math.max(peak, RssProbe.peakBytes(p.pid()));
            double wall = (System.nanoTime() - t0) / 1e9;
            String out = Files.readString(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                return new Outcome(shellLine(cmd), null, "llama-mtmd-cli exited with code " + p.exitValue() + ": " + tail(out));
            }
            return new Outcome(shellLine(cmd), parse(out, wall, peak), null);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** The text GGUF and the {@code mmproj-*.gguf} of a converted SmolVLM folder. */
    static Path[] ggufs(Path modelFolder) throws IOException {
        Path text = null, mmproj = null;
        try (Stream<Path> files = Files.list(modelFolder)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (!name.endsWith(".gguf")) continue;
                if (name.startsWith("mmproj")) mmproj = f;
                else text = f;
            }
        }
        if (text == null || mmproj == null) throw new IOException(modelFolder + " lacks the text GGUF or the mmproj-*.gguf");
        return new Path[] {text, mmproj};
    }

    /** The command as one would type it: arguments with spaces or quotes single-quoted. */
    static String shellLine(List<String> cmd) {
        StringBuilder sb = new StringBuilder();
        for (String a : cmd) {
            if (!sb.isEmpty()) sb.append(' ');
            sb.append(a.matches("[A-Za-z0-9_./=:,+-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }

    private static String tail(String s) {
        String t = s.strip();
        return t.length() <= 400 ? t : "…" + t.substring(t.length() - 400);
    }

    static String describe(Figures f) {
        return String.format(Locale.ROOT, "%d tiles at %.3f s, prefill %.3f s, %.1f tok/s", f.tiles(), f.visionPerTileSeconds(), f.prefillSeconds(),
                f.decodeTokensPerSecond());
    }
}
