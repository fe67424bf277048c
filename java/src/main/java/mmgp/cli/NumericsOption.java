package mmgp.cli;

import java.util.Locale;
import mmgp.graph.Numerics;
import picocli.CommandLine.Option;

/** {@code --numerics}: the kernel routes of the verbs that generate with ggml (image, video). */
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
        return numerics.name().toLowerCase(Locale.ROOT);
    }
}
