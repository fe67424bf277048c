package mmgp.bench.e2e;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import mmgp.api.UnderstandOptions;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.llama.LlamaLog;
import mmgp.bindings.mtmd.Mtmd;
import mmgp.models.smolvlm.SmolVlmMedia;
import mmgp.models.smolvlm.SmolVlmModel;
import mmgp.models.smolvlm.SmolVlmUnderstanding;

/**
 * SmolVLM2 through mmgp and through llama-mtmd-cli's calls, alternated round by round, for a machine
 * shared with other work, where only interleaved rounds compare (the harness runs each side's runs
 * in a block). Two stages:
 * <ul>
 *   <li>{@code vision}: one 512² tile, mmgp's {@link SmolVlmModel#encodePixels} against the call the
 *       CLI times ({@code mtmd_encode_chunk} on a chunk mtmd tokenized from a bitmap), in one process;</li>
 *   <li>{@code decode}: a text prompt, mmgp's engine (end to end: sampling and streaming included)
 *       against the CLI in chat mode (its eval line: llama_decode only).</li>
 * </ul>
 * Usage: {@code SmolVlmPeerAb <model folder> vision|decode <rounds> [tokens]}; prints each round and
 * the medians, ranges and the median of the per-round ratios (CLI time ÷ mmgp time: above 1, mmgp ahead).
 */
public final class SmolVlmPeerAb {
    static final String TEXT_PROMPT = "Can you describe a sunny beach in a few long sentences with many details?";

    private SmolVlmPeerAb() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || !List.of("vision", "decode").contains(args[1])) {
            throw new IllegalArgumentException("usage: SmolVlmPeerAb <model folder> vision|decode <rounds> [tokens (decode, default 64)]");
        }
        Path folder = Path.of(args[0]);
        int rounds = Integer.parseInt(args[2]);
        if (rounds < 1) throw new IllegalArgumentException("rounds must be at least 1, got " + rounds);
        LlamaLog.silence();
        Mtmd.helperLogSet(LlamaLog.callback(), MemorySegment.NULL);
        List<double[]> pairs = args[1].equals("vision") ? vision(folder, rounds)
                : decode(folder, rounds, args.length > 3 ? Integer.parseInt(args[3]) : 64);
        List<Double> mmgp = new ArrayList<>(), peer = new ArrayList<>(), ratio = new ArrayList<>();
        for (double[] p : pairs) {
            mmgp.add(p[0]);
            peer.add(p[1]);
            ratio.add(p[2]);
        }
        String unit = args[1].equals("vision") ? "s" : "tok/s";
        System.out.printf(Locale.ROOT, "%s, %d rounds: mmgp median %.3g %s (%s), llama-mtmd-cli %.3g %s (%s); per-round speed ratio median %.3f (%s)%n",
                args[1], rounds, StageStats.medianOf(mmgp), unit, range(mmgp), StageStats.medianOf(peer), unit, range(peer),
                StageStats.medianOf(ratio), range(ratio));
    }

    /** Per round: mmgp seconds, the CLI call's seconds, their ratio. */
    private static List<double[]> vision(Path folder, int rounds) throws IOException {
        Path[] files = MtmdCliPeer.ggufs(folder);
        List<double[]> out = new ArrayList<>();
        try (SmolVlmModel m = SmolVlmModel.load(files[0], files[1], new SmolVlmModel.Options(0, 0, 1, 2, true))) {
            int s = m.imageSize();
            Random r = new Random(1);
            float[] pixels = new float[3 * s * s];
            for (int i = 0; i < pixels.length; i++) pixels[i] = r.nextFloat() * 2 - 1;
            byte[] rgb = new byte[3 * s * s];
            r.nextBytes(rgb);
            MemorySegment bitmap = Mtmd.bitmapInit(s, s, rgb);
            MemorySegment chunks = Mtmd.inputChunksInit();
            try {
                Mtmd.tokenize(m.mtmdContext(), chunks, Mtmd.getMarker(m.mtmdContext()), false, false, bitmap);
                MemorySegment chunk = null;
                for (long i = 0; i < Mtmd.inputChunksSize(chunks) && chunk == null; i++) {
                    MemorySegment c = Mtmd.inputChunksGet(chunks, i);
                    if (Mtmd.inputChunkGetType(c) == Mtmd.CHUNK_TYPE_IMAGE) chunk = c;
                }
                if (chunk == null) throw new IllegalStateException("mtmd produced no image chunk for a " + s + "² bitmap");
                m.encodePixels(pixels); // both paths then run on touched pages
                for (int k = 0; k < rounds; k++) {
                    long t0 = System.nanoTime();
                    m.encodePixels(pixels);
                    long t1 = System.nanoTime();
                    int rc = Mtmd.encodeChunk(m.mtmdContext(), chunk);
                    long t2 = System.nanoTime();
                    if (rc != 0) throw new IllegalStateException("mtmd_encode_chunk failed (" + rc + ")");
                    double a = (t1 - t0) / 1e9, b = (t2 - t1) / 1e9;
                    out.add(new double[] {a, b, b / a});
                    System.out.printf(Locale.ROOT, "round %d: mmgp %.3f s, CLI's call %.3f s, load %s%n", k, a, b, Machine.loadAverage("?"));
                }
            } finally {
                Mtmd.inputChunksFree(chunks);
                Mtmd.bitmapFree(bitmap);
            }
        }
        return out;
    }

    /** Per round: mmgp tokens/s, the CLI's, their ratio. */
    private static List<double[]> decode(Path folder, int rounds, int tokens) throws Exception {
        Path[] files = MtmdCliPeer.ggufs(folder);
        Path cli = MtmdCliPeer.binary(NativeLibraries.get().directory());
        if (cli == null) throw new IllegalStateException("no llama-mtmd-cli in the native build " + NativeLibraries.get().directory());
        List<double[]> out = new ArrayList<>();
        UnderstandOptions o = UnderstandOptions.defaults().toBuilder().maxNewTokens(tokens).minNewTokens(tokens).build();
        var settings = SmolVlmUnderstanding.Settings.defaults().withContextTokens(SmolVlmWorkload.CONTEXT_TOKENS).withMaxSequences(1).withThreads(2);
        try (SmolVlmUnderstanding engine = SmolVlmUnderstanding.open(folder, null, settings)) {
            for (int k = 0; k < rounds; k++) {
                double a = engine.understand(SmolVlmMedia.none(), TEXT_PROMPT, o, SmolVlmUnderstanding.TokenListener.NONE).stats().tokensPerSecond();
                double b = cliDecodeRate(cli, files, tokens);
                out.add(new double[] {a, b, a / b});
                System.out.printf(Locale.ROOT, "round %d: mmgp %.2f tok/s, llama-mtmd-cli %.2f tok/s, load %s%n", k, a, b, Machine.loadAverage("?"));
            }
        }
        return out;
    }

    /** The CLI in chat mode (no image): the prompt, then /quit on its standard input; its eval line's rate. */
    private static double cliDecodeRate(Path cli, Path[] files, int tokens) throws IOException, InterruptedException {
        Path log = Files.createTempFile("mmgp-mtmd-cli", ".log");
        try {
            Process p = new ProcessBuilder(cli.toString(), "-m", files[0].toString(), "--mmproj", files[1].toString(), "-n", Integer.toString(tokens),
                    "--temp", "0", "--ignore-eos", "-t", "2", "--chat-template", "smolvlm", "-lv", "4")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try (var in = p.getOutputStream()) {
                in.write((TEXT_PROMPT + "\n/quit\n").getBytes(StandardCharsets.UTF_8));
            }
            int code = p.waitFor();
            String text = Files.readString(log, StandardCharsets.UTF_8);
            double rate = MtmdCliPeer.decodeRate(text);
            if (code != 0 || Double.isNaN(rate)) throw new IllegalStateException("llama-mtmd-cli exited with " + code + " and no eval line");
            return rate;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static String range(List<Double> v) {
        return String.format(Locale.ROOT, "%.3g–%.3g", v.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN),
                v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN));
    }
}
