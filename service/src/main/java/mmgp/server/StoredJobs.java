package mmgp.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the single node's {@link JobService} and the cluster front end's {@link ClusterJobService}
 * keep the same way: each job is a row of a {@link JobStore} with its files in {@link ResultFiles},
 * requests are parsed and stored by one {@link RequestParser}, and each job has its event-stream slots.
 *
 * @param <S> the store (the cluster's adds a cross-process cancel)
 */
abstract class StoredJobs<S extends JobStore> implements Jobs {
    static final int MAX_STREAMS_PER_JOB = 32;

    final S store;
    final ResultFiles files;
    final RequestParser parser;
    final Metrics metrics;
    final ObjectMapper json;
    private final StreamSlots streamSlots = new StreamSlots(MAX_STREAMS_PER_JOB);

    StoredJobs(S store, ResultFiles files, RequestParser parser, Metrics metrics, ObjectMapper json) {
        this.store = store;
        this.files = files;
        this.parser = parser;
        this.metrics = metrics;
        this.json = json;
    }

    /** The stored row of {@code id}; 404 when there is none (or {@code id} is no UUID). */
    final JobRecord record(String id) {
        return store.find(ResultFiles.requireUuid(id)).orElseThrow(() -> ApiException.notFound("no request with id " + id));
    }

    @Override
    public final StreamSlots streamSlots() {
        return streamSlots;
    }

    @Override
    public final Optional<Path> download(String id, String name) {
        JobRecord r = record(id);
        return files.download(r.id(), name, r.resultFiles());
    }

    @Override
    public final Path uploadDir(String id) throws IOException {
        return files.dir(id);
    }
}
