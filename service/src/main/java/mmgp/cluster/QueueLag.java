package mmgp.cluster;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import mmgp.api.Task;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * How far each task's workers are behind: per partition, the end offset minus the group's
 * committed offset (the earliest offset when nothing is committed yet). A record counts until
 * its result is stored and its offset committed, so lag is "accepted and not yet done".
 */
public final class QueueLag {
    private final Admin admin;

    public QueueLag(Admin admin) {
        this.admin = admin;
    }

    /** One task's queue: its lag, and the workers of its group with the partitions each holds. */
    public record TaskQueue(Task task, long lag, int partitions, List<String> workers) {}

    public Map<Task, TaskQueue> read() throws InterruptedException {
        try {
            Map<Task, TaskQueue> out = new EnumMap<>(Task.class);
            Map<String, TopicDescription> topics = admin.describeTopics(ClusterKafka.TASKS.stream().map(ClusterKafka::topic).toList())
                    .allTopicNames().get(10, TimeUnit.SECONDS);
            for (Task t : ClusterKafka.TASKS) {
                TopicDescription d = topics.get(ClusterKafka.topic(t));
                List<TopicPartition> parts = d.partitions().stream().map(p -> new TopicPartition(d.name(), p.partition())).toList();
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>(), earliest = new HashMap<>();
                for (TopicPartition p : parts) {
                    latest.put(p, OffsetSpec.latest());
                    earliest.put(p, OffsetSpec.earliest());
                }
                Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
                Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts = admin.listOffsets(earliest).all().get(10, TimeUnit.SECONDS);
                Map<TopicPartition, OffsetAndMetadata> committed = committed(ClusterKafka.group(t));
                long lag = 0;
                for (TopicPartition p : parts) {
                    OffsetAndMetadata c = committed.get(p);
                    long from = c != null ? c.offset() : starts.get(p).offset();
                    lag += Math.max(0, ends.get(p).offset() - from);
                }
                List<String> workers = new ArrayList<>();
                ConsumerGroupDescription g = group(ClusterKafka.group(t));
                if (g != null) {
                    for (MemberDescription m : g.members()) {
                        workers.add(m.clientId() + m.host() + " " + m.assignment().topicPartitions().stream().map(TopicPartition::partition).sorted().toList());
                    }
                }
                out.put(t, new TaskQueue(t, lag, parts.size(), workers));
            }
            return out;
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Kafka did not answer: " + e.getMessage(), e);
        }
    }

    /** The group's committed offsets; none before its first worker committed (the group does not exist yet). */
    private Map<TopicPartition, OffsetAndMetadata> committed(String group) throws InterruptedException, ExecutionException, TimeoutException {
        try {
            Map<TopicPartition, OffsetAndMetadata> m = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
            m.forEach((p, o) -> {
                if (o != null) out.put(p, o);
            });
            return out;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) return Map.of();
            throw e;
        }
    }

    /** The group's members, or null before it exists. */
    private ConsumerGroupDescription group(String group) throws InterruptedException, ExecutionException, TimeoutException {
        try {
            return admin.describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) return null;
            throw e;
        }
    }
}
