package mmgp.server;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.llama.Llama;
import org.slf4j.LoggerFactory;

/**
 * Child-JVM side of {@link LogFormatTest}: logs one mmgp line, then makes llama.cpp and ggml log
 * (a failed load of a file that is not GGUF) through nothing but what loading the libraries installs.
 */
public final class LogFormatProbe {
    public static void main(String[] args) throws Exception {
        LoggerFactory.getLogger("mmgp.probe").info("hello from mmgp");
        System.getLogger("llama.cpp").log(System.Logger.Level.DEBUG, "a native INFO line, hidden by default");
        if (!NativeLibraries.available()) return;
        Llama.backendInit();
        Path garbage = Files.writeString(Files.createTempFile("mmgp-not-gguf", ".gguf"), "this is not a GGUF file");
        try (Arena arena = Arena.ofConfined()) {
            Llama.modelFree(Llama.modelLoadFromFile(garbage, Llama.modelDefaultParams(arena)));
        } catch (RuntimeException expected) {
            // the point is its log lines
        } finally {
            Files.delete(garbage);
        }
    }
}
