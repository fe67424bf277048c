package mmgp.cluster;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the events topic from its end on a thread of its own and hands every event to a
 * callback: the front ends' SSE streams, the workers' cancels. No consumer group, so every
 * process sees every event.
 */
public final class EventsFeed implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventsFeed.class);
    private final KafkaConsumer<String, String> consumer;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean ready;

    public EventsFeed(ClusterConfig config, String clientId, Consumer<ClusterEvent> sink) {
        consumer = new KafkaConsumer<>(ClusterKafka.eventsConsumer(config, clientId));
        List<TopicPartition> parts = consumer.partitionsFor(ClusterKafka.EVENTS, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(parts);
        consumer.seekToEnd(parts);
        parts.forEach(consumer::position); // fixes the start now: an event published after this returns is seen
        ready = true;
        thread = Thread.ofPlatform().name("mmgp-events-" + clientId).daemon().start(() -> {
            try {
                while (running) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                        ClusterEvent e = ClusterEvent.parse(r.key(), r.value());
                        if (e == null) continue;
                        try {
                            sink.accept(e);
                        } catch (RuntimeException ex) {
                            log.warn("event {} of {} not handled: {}", e.type(), e.jobId(), ex.toString());
                        }
                    }
                }
            } catch (WakeupException e) {
                // closing
            } catch (RuntimeException e) {
                ready = false;
                log.error("the events feed stopped", e);
            } finally {
                consumer.close();
            }
        });
    }

    /** Whether the feed is reading (readiness). */
    public boolean isReady() {
        return ready && thread.isAlive();
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
