package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** What every {@link JobStore} must answer to {@link JobStore#list}: the H2 and the PostgreSQL tests run it. */
public final class JobStoreListing {
    private JobStoreListing() {}

    /** Fills {@code store} (expected empty of key "list-a" and "list-b" jobs) and pages through it. */
    public static void check(JobStore store) {
        Instant t0 = Instant.parse("2026-03-01T10:00:00Z");
        List<String> aIds = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            // jobs 3 and 4 share their creation time: the id decides their order, and no page drops one
            Instant created = t0.plusSeconds(i == 4 ? 3 : i);
            String id = UUID.randomUUID().toString();
            String task = i % 2 == 0 ? "image" : "video";
            JobStatus status = i == 6 ? JobStatus.RUNNING : JobStatus.DONE;
            store.insert(new JobRecord(id, task, status, created, created, "{}", null, null, "list-a", List.of()));
            aIds.add(id);
        }
        store.insert(new JobRecord(UUID.randomUUID().toString(), "image", JobStatus.DONE, t0, t0, "{}", null, null, "list-b", List.of()));

        List<String> pages = new ArrayList<>();
        JobQuery q = new JobQuery("list-a", null, null, null, null, 3);
        for (int page = 0; page < 5; page++) {
            List<JobRecord> rows = store.list(q);
            rows.forEach(r -> pages.add(r.id()));
            if (rows.size() < 3) break;
            JobRecord last = rows.getLast();
            q = new JobQuery("list-a", null, null, last.created(), last.id(), 3);
        }
        assertThat(pages).as("every job of the key once, newest first").hasSize(7).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(aIds);
        List<JobRecord> all = store.list(new JobQuery("list-a", null, null, null, null, 100));
        assertThat(all).extracting(JobRecord::id).containsExactlyElementsOf(pages);
        for (int i = 1; i < all.size(); i++) assertThat(all.get(i).created()).isBeforeOrEqualTo(all.get(i - 1).created());
        assertThat(all.getFirst().id()).isEqualTo(aIds.get(6));

        assertThat(store.list(new JobQuery("list-a", "video", null, null, null, 100))).hasSize(3).allMatch(r -> r.task().equals("video"));
        assertThat(store.list(new JobQuery("list-a", "image", JobStatus.RUNNING, null, null, 100))).extracting(JobRecord::id).containsExactly(aIds.get(6));
        assertThat(store.list(new JobQuery("list-b", null, null, null, null, 100))).hasSize(1);
        assertThat(store.list(new JobQuery(null, null, null, null, null, 100))).hasSizeGreaterThanOrEqualTo(8);
        assertThat(store.list(new JobQuery("nobody", null, null, null, null, 100))).isEmpty();
    }
}
