package mmgp.cli;

import java.util.List;
import java.util.ServiceLoader;

/**
 * The verbs of a module that lives beside the CLI core (the models' image, video, understand…; the
 * service's serve, worker, cluster): each such module registers one provider in
 * {@code META-INF/services/mmgp.cli.VerbProvider}, so the core depends on none of them.
 */
public interface VerbProvider {
    /** Fresh picocli {@code @Command} objects, one per verb. */
    List<Object> commands();

    static Iterable<VerbProvider> all() {
        return ServiceLoader.load(VerbProvider.class);
    }
}
