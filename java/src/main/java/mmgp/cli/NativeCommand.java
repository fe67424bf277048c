package mmgp.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.ggml.GgmlBackend;
import mmgp.graph.ComputeBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Shows which native build is in use and what the CPU backend offers. */
@Command(mixinStandardHelpOptions = true, name = "native", description = "Show the native ggml/llama.cpp build in use and the CPU backend's buffer types.")
final class NativeCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    ThreadsOption threads = new ThreadsOption();

    @Override
    public Integer call() {
        NativeLibraries libs = NativeLibraries.get();
        System.out.println("native dir:   " + libs.directory());
        for (Map.Entry<String, String> e : libs.buildInfo().entrySet()) {
            if (!e.getKey().startsWith("sha256:")) System.out.printf("  %-12s %s%n", e.getKey(), e.getValue());
        }
        try (ComputeBackend backend = ComputeBackend.cpu(threads.threads())) {
            System.out.println("device:       " + GgmlBackend.devDescription(backend.device()).reinterpret(256).getString(0));
            System.out.println("threads:      " + backend.threads());
            System.out.println("buffer type:  " + backend.defaultBufferType().name());
            System.out.println("extra types:  " + (backend.extraBufferTypes().isEmpty() ? "(none on this CPU)"
                    : backend.extraBufferTypes().stream().map(ComputeBackend.BufferType::name).toList()));
        }
        return 0;
    }
}
