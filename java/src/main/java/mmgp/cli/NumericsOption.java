package mmgp.cli;

import mmgp.graph.Numerics;
import picocli.CommandLine.Option;

/**
 * {@code --numerics}: the kernel routes of the verbs that run the models on ggml graphs (image, video,
 * and through {@link mmgp.engine.Engine.Builder#numerics} pipeline, demo, serve and worker).
 */
public final class NumericsOption {
    @Option(names = "--numerics", defaultValue = "fast", converter = NumericsConverter.class,
            description = "Kernel routes: fast (the fastest measured route per op, within the error bounds the README states) "
                    + "or exact (fp32 wherever the reference computes in fp32, as the golden tests check). Default ${DEFAULT-VALUE}.")
    Numerics numerics;

    public Numerics numerics() {
        return numerics;
    }

    /** "fast" or "exact", as progress notes name it. */
    public String label() {
        return numerics.label();
    }
}
