package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The cluster front end's event sinks by job: an entry leaves with its last sink, however that goes. */
class WatchersTest {
    static final class Sink implements EventSink {
        final List<JobEvent> events = new ArrayList<>();
        boolean closed;
        boolean ended;

        @Override
        public boolean offer(JobEvent e) {
            if (closed) return false;
            events.add(e);
            return true;
        }

        @Override
        public void end() {
            ended = true;
        }

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public void onEnd(Runnable action) {}
    }

    @Test
    void aJobsEntryLeavesWithItsLastSink() {
        Watchers w = new Watchers();
        Sink a = new Sink(), b = new Sink();
        w.add("j1", a);
        w.add("j1", b);
        assertThat(w.count("j1")).isEqualTo(2);
        w.remove("j1", a);
        assertThat(w.jobs()).isEqualTo(1);
        w.remove("j1", b); // e.g. a watch of a job that had already ended, or a closed stream
        assertThat(w.jobs()).isZero();
        assertThat(w.count("j1")).isZero();

        w.add("j2", a);
        a.closed = true;
        w.offer("j2", new JobEvent("progress", "{}")); // a gone sink is dropped, and its job's entry with it
        assertThat(w.jobs()).isZero();

        Sink c = new Sink();
        w.add("j3", c);
        w.offer("j3", new JobEvent("progress", "{}"));
        w.finish("j3", new JobEvent("status", "{}"));
        assertThat(c.events).extracting(JobEvent::name).containsExactly("progress", "status");
        assertThat(c.ended).isTrue();
        assertThat(w.jobs()).isZero();
        w.add("j3", c); // a later watch starts a new entry
        assertThat(w.count("j3")).isEqualTo(1);
    }
}
