package mmgp.cli.service;

import java.util.List;
import mmgp.cli.VerbProvider;

/**
 * Registers the service's verbs (serve, worker, cluster) with the engine's CLI through
 * {@code META-INF/services/mmgp.cli.VerbProvider}, as the models register theirs: the engine's
 * {@code mmgp.cli.Main} lists whatever is on the class path, so it needs no dependency on the service.
 */
public final class ServiceVerbs implements VerbProvider {
    @Override
    public List<Object> commands() {
        return List.of(new ServeCommand(), new WorkerCommand(), new ClusterCommand());
    }
}
