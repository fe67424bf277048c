package mmgp.bindings.llama;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import mmgp.bindings.NativeLibraries;

/**
 * Child-JVM side of {@link NativeLogRoutingTest}: loads the tiny model with nothing but the
 * routing NativeLibraries installs, and prints what reached the "llama.cpp" logger (JUL here,
 * as the bindings have no SLF4J).
 */
public final class NativeLogRoutingProbe {
    public static void main(String[] args) throws Exception {
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Logger jul = Logger.getLogger("llama.cpp");
        jul.setLevel(java.util.logging.Level.ALL);
        jul.setUseParentHandlers(false); // the root console handler would print WARNINGs to stderr
        jul.addHandler(new Handler() {
            @Override public void publish(LogRecord r) { records.add(r); }
            @Override public void flush() {}
            @Override public void close() {}
        });
        NativeLibraries.get();
        Llama.backendInit();
        Path file = TinyLlamaModel.write(Files.createTempDirectory("mmgp-log").resolve("tiny.gguf"));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = Llama.modelDefaultParams(arena);
            LlamaModelParams.nGpuLayers(params, 0);
            Llama.modelFree(Llama.modelLoadFromFile(file, params));
        }
        long loaderLines = records.stream().filter(r -> r.getMessage().startsWith("llama_model_loader:")).count();
        System.out.println("records=" + records.size() + " loader=" + loaderLines);
        records.stream().limit(3).forEach(r -> System.out.println("record " + r.getLevel() + " " + r.getMessage()));
    }
}
