package mmgp.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.sse.SseClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import mmgp.api.ImageRequest;
import mmgp.api.PipelineOptions;
import mmgp.api.Task;
import mmgp.api.UnderstandRequest;
import mmgp.api.VideoRequest;

/**
 * What the /api routes ask of the jobs: {@link JobService} runs them on this process's engine,
 * {@link ClusterJobService} hands them to Kafka and reads them back from PostgreSQL.
 */
interface Jobs extends RetryAdvisor {
    /** Whether requests of {@code task} can be accepted at all (a model, or workers, for it). */
    boolean hasModel(Task task);

    void submitImage(String id, ImageRequest r, String keyId);

    void submitVideo(String id, VideoRequest r, String keyId);

    /** @param upload the file name of the image or video in the job's folder; null when the request has no media */
    void submitUnderstand(String id, UnderstandRequest r, String upload, String keyId);

    void submitPipeline(String id, Path video, PipelineOptions o, String keyId);

    /** GET /api/requests/{id}. */
    ObjectNode describe(String id);

    /** The canonical id when {@code id} names a request made with the caller's key; a 404 otherwise. */
    String requireOwner(String id, String callerKeyId);

    /** True when the cancel was accepted, false when the job had already finished. */
    boolean cancel(String id);

    /** The job's event-stream slots (each stream holds a connection, a writer thread and a queue). */
    StreamSlots streamSlots();

    /**
     * Reserves one of the job's event-stream slots (429 when none is free). Reserved before the
     * stream starts, because an SSE response commits its 200 at once; {@link #stream} gives it back
     * when the stream ends. Waits do not take slots.
     */
    default void requireStreamRoom(String id) {
        streamSlots().require(ResultFiles.requireUuid(id));
    }

    /** Gives back a slot {@link #requireStreamRoom} reserved for a stream that then never started (a refused upgrade, a client gone before the stream). */
    default void releaseStreamRoom(String id) {
        streamSlots().release(ResultFiles.requireUuid(id));
    }

    /** Tests: the stream slots of {@code id} taken now. */
    default int streamSlotsTaken(String id) {
        return streamSlots().open(ResultFiles.requireUuid(id));
    }

    /** GET /api/requests/{id}/events: replays the state, then streams until the job ends. */
    default void stream(String id, SseClient client) {
        stream(id, EventChannel.sse(client));
    }

    /** The events of {@code id} into {@code channel} (SSE or WebSocket): the state, then live events until the job ends. */
    void stream(String id, EventChannel channel);

    /** GET /api/requests: the jobs {@code q} selects, newest first, each with its description as {@link #describe} gives it. */
    List<Listed> list(JobQuery q);

    /** A listed job: its stored row (whose time and id make the next page's cursor) and what GET /api/requests/{id} shows. */
    record Listed(JobRecord record, ObjectNode view) {}

    /** As {@link #stream} into any sink: the state, then the job's events; {@code sink.end()} once it has ended. */
    void watch(String id, EventSink sink);

    Optional<Path> download(String id, String name);

    Path uploadDir(String id) throws IOException;
}
