package mmgp.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import mmgp.api.Task;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The cluster's topics and client settings. Work: one topic per task ({@code mmgp.image},
 * {@code mmgp.video}, {@code mmgp.understand}), keyed by job id, read by one consumer group
 * per task ({@code mmgp.workers.image}, …). Events: {@code mmgp.events}, keyed by job id,
 * carrying progress, caption pieces, ends and cancels; every front end and worker reads all of
 * it from its end, without a group.
 */
public final class ClusterKafka {
    public static final String EVENTS = "mmgp.events";
    /** Work stays a week (a long outage must not lose queued jobs); events matter only while a job runs. */
    static final long WORK_RETENTION_MS = 7L * 24 * 3600 * 1000;
    static final long EVENTS_RETENTION_MS = 3600L * 1000;
    /** The tasks the cluster distributes; a pipeline's stages are records on their tasks' topics ({@link #stageRecord}). */
    public static final List<Task> TASKS = List.of(Task.IMAGE, Task.VIDEO, Task.UNDERSTAND);
    private static final String STAGE_FIELD = "pipeline_stage";
    private static final ObjectMapper JSON = new ObjectMapper();

    private ClusterKafka() {}

    public static String topic(Task task) {
        return "mmgp." + task.label();
    }

    /** The value of a pipeline stage's record on its task's topic (keyed by the job id like any other). */
    public static String stageRecord(String stage) {
        return JSON.createObjectNode().put(STAGE_FIELD, stage).toString();
    }

    /** The pipeline stage a work record stands for; null for a single-task job's record (its value is the request). */
    public static String stageOf(String value) {
        if (value == null || !value.contains(STAGE_FIELD)) return null;
        try {
            JsonNode n = JSON.readTree(value);
            return n.hasNonNull(STAGE_FIELD) && n.size() == 1 ? n.get(STAGE_FIELD).asText() : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    public static String group(Task task) {
        return "mmgp.workers." + task.label();
    }

    public static Properties admin(ClusterConfig c) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrapServers());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return p;
    }

    /** A producer that answers only once the broker has the record (the front end's 202 depends on it). */
    public static Properties producer(ClusterConfig c, String clientId) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrapServers());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return p;
    }

    /**
     * A worker's consumer of one task: manual commits (after the result is stored), at most
     * {@code capacity} records per poll, cooperative rebalancing (a joining worker takes
     * partitions without stopping the others), and a poll interval long enough for a video.
     */
    public static Properties workerConsumer(ClusterConfig c, Task task, String clientId, int capacity) {
        Properties p = consumer(c, clientId);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group(task));
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, capacity);
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) c.sessionTimeout().toMillis());
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(100, c.sessionTimeout().toMillis() / 4));
        // the worker keeps polling (paused) while it computes, so this bounds only a stuck worker
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 30 * 60 * 1000);
        return p;
    }

    /** A group-less reader of the events topic (assigned every partition, from its end). */
    public static Properties eventsConsumer(ClusterConfig c, String clientId) {
        Properties p = consumer(c, clientId);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        return p;
    }

    private static Properties consumer(ClusterConfig c, String clientId) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrapServers());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return p;
    }

    /** Creates the work and events topics that do not exist yet, with the broker's default replication (a real deployment may create them itself). */
    public static void ensureTopics(Admin admin, ClusterConfig c) throws InterruptedException {
        Set<String> existing;
        try {
            existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Kafka at " + c.bootstrapServers() + " does not answer: " + e.getMessage(), e);
        }
        List<NewTopic> wanted = new ArrayList<>();
        for (Task t : TASKS) {
            if (!existing.contains(topic(t))) wanted.add(new NewTopic(topic(t), Optional.of(c.partitions()), Optional.empty())
                    .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, Long.toString(WORK_RETENTION_MS))));
        }
        if (!existing.contains(EVENTS)) {
            Map<String, String> cfg = new HashMap<>();
            cfg.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(EVENTS_RETENTION_MS));
            wanted.add(new NewTopic(EVENTS, Optional.of(c.partitions()), Optional.empty()).configs(cfg));
        }
        if (wanted.isEmpty()) return;
        try {
            admin.createTopics(wanted).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) throw new IllegalStateException("could not create the topics: " + e.getMessage(), e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("could not create the topics in 30 s", e);
        }
    }
}
