package mmgp.graph;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one graph scenario in a child JVM. A failed GGML_ASSERT calls abort(), which would take
 * the whole test JVM down with it; ops known to trip an assert (see the callers) run here so that
 * only their test fails, with ggml's assert message.
 *
 * <p>A scenario is a static method {@code float[] name(ComputeBackend)} of a class in this test tree.
 */
final class ChildJvm {
    private static final String RESULT = "CHILD-JVM-RESULT";

    private ChildJvm() {}

    /** The floats {@code owner.method(backend)} returns when run in a fresh JVM. */
    static float[] compute(Class<?> owner, String method) {
        Path stdout = null, stderr = null;
        try {
            stdout = Files.createTempFile("mmgp-child", ".out");
            stderr = Files.createTempFile("mmgp-child", ".err");
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED"));
            String nativeDir = System.getProperty("mmgp.native.dir");
            if (nativeDir != null) command.add("-Dmmgp.native.dir=" + nativeDir);
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), ChildJvm.class.getName(), owner.getName(), method));
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
            builder.environment().put("GGML_NO_BACKTRACE", "1"); // no gdb attach on abort
            Process process = builder.start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("child JVM for " + method + " timed out");
            }
            int exit = process.exitValue();
            String out = new String(Files.readAllBytes(stdout), StandardCharsets.UTF_8);
            String err = new String(Files.readAllBytes(stderr), StandardCharsets.UTF_8);
            int at = out.indexOf(RESULT);
            if (exit != 0 || at < 0) {
                fail(method + " did not complete in the child JVM (exit " + exit + "): " + summary(err));
            }
            String[] words = out.substring(at + RESULT.length()).trim().split("\\s+");
            float[] values = new float[Integer.parseInt(words[0])];
            for (int i = 0; i < values.length; i++) values[i] = Float.intBitsToFloat(Integer.parseUnsignedInt(words[i + 1], 16));
            return values;
        } catch (IOException e) {
            throw new AssertionError("could not run a child JVM", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            if (stdout != null) stdout.toFile().delete();
            if (stderr != null) stderr.toFile().delete();
        }
    }

    /** ggml's assert lines if there are any, else the end of stderr. */
    private static String summary(String err) {
        var asserts = new java.util.LinkedHashSet<String>(); // every worker thread reports the same assert
        for (String line : err.split("\n")) if (line.contains("GGML_ASSERT") || line.contains("GGML_ABORT")) asserts.add(line.strip());
        if (!asserts.isEmpty()) return String.join(" ", asserts);
        return err.length() > 2000 ? err.substring(err.length() - 2000) : err;
    }

    public static void main(String[] args) throws ReflectiveOperationException {
        var method = Class.forName(args[0]).getDeclaredMethod(args[1], ComputeBackend.class);
        method.setAccessible(true);
        float[] values;
        try (ComputeBackend backend = ComputeBackend.cpu(2)) {
            values = (float[]) method.invoke(null, backend);
        }
        StringBuilder sb = new StringBuilder(RESULT).append(' ').append(values.length);
        for (float v : values) sb.append(' ').append(Integer.toHexString(Float.floatToRawIntBits(v)));
        System.out.println(sb);
        System.out.flush();
    }
}
