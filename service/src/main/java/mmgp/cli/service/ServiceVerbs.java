package mmgp.cli.service;

import mmgp.cli.VerbProvider;

/**
 * Registers the service's verbs with the engine's CLI through
 * {@code META-INF/services/mmgp.cli.VerbProvider}, as the models register theirs: the engine's
 * {@code mmgp.cli.Main} lists whatever is on the class path, so it needs no dependency on the service.
 */
public final class ServiceVerbs {
    private ServiceVerbs() {}

    /** {@code mmgp serve}. */
    public static final class Serve implements VerbProvider {
        @Override
        public Object command() {
            return new ServeCommand();
        }
    }

    /** {@code mmgp worker}. */
    public static final class Worker implements VerbProvider {
        @Override
        public Object command() {
            return new WorkerCommand();
        }
    }

    /** {@code mmgp cluster}. */
    public static final class Cluster implements VerbProvider {
        @Override
        public Object command() {
            return new ClusterCommand();
        }
    }
}
