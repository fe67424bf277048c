package mmgp.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The event sinks of a cluster front end, by job id. A job's entry leaves the map with its last
 * sink (a stream closed, a wait over, the job ended), so ended jobs leave nothing behind. A job's
 * list is its lock: whoever holds it may offer events in order (a snapshot before later events).
 * Locks are taken list first, map second, never the other way round.
 */
final class Watchers {
    private final Map<String, List<EventSink>> byJob = new ConcurrentHashMap<>();

    /** Adds {@code sink} to the job's list, which it returns. */
    List<EventSink> add(String id, EventSink sink) {
        while (true) {
            List<EventSink> list = byJob.computeIfAbsent(id, k -> new ArrayList<>());
            synchronized (list) {
                if (byJob.get(id) != list) continue; // emptied and dropped meanwhile: take the new one
                list.add(sink);
                return list;
            }
        }
    }

    /** Removes {@code sink}; the job's entry goes with its last sink. */
    void remove(String id, EventSink sink) {
        List<EventSink> list = byJob.get(id);
        if (list == null) return;
        synchronized (list) {
            list.remove(sink);
            if (list.isEmpty()) byJob.remove(id, list);
        }
    }

    /** Offers {@code e} to the job's sinks, dropping those that are gone. */
    void offer(String id, JobEvent e) {
        List<EventSink> list = byJob.get(id);
        if (list == null) return;
        synchronized (list) {
            list.removeIf(s -> !s.offer(e) || s.isClosed());
            if (list.isEmpty()) byJob.remove(id, list);
        }
    }

    /** The job ended: {@code last} to each sink, then their end; the entry is gone. */
    void finish(String id, JobEvent last) {
        List<EventSink> list = byJob.remove(id);
        if (list == null) return;
        synchronized (list) {
            for (EventSink s : list) {
                s.offer(last);
                s.end();
            }
            list.clear();
        }
    }

    /** How many sinks watch job {@code id}. */
    int count(String id) {
        List<EventSink> list = byJob.get(id);
        if (list == null) return 0;
        synchronized (list) {
            return list.size();
        }
    }

    /** How many jobs have sinks. */
    int jobs() {
        return byJob.size();
    }
}
