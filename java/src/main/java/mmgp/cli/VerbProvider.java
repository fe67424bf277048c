package mmgp.cli;

import java.util.ServiceLoader;

/**
 * Verbs that live beside the models (image, video, understand…) register through
 * {@code META-INF/services/mmgp.cli.VerbProvider}, so the CLI core does not depend on them.
 */
public interface VerbProvider {
    /** A picocli {@code @Command} object. */
    Object command();

    static Iterable<VerbProvider> all() {
        return ServiceLoader.load(VerbProvider.class);
    }
}
