package dev.kos.events;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.kos.config.Logging;
import dev.kos.config.Settings;
import dev.kos.schemas.events.v1.EventEnvelope;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Prints the events of a kos topic, one JSON object per line, for operators (pipe it to jq) and
 * as the smallest sample consumer. It reads every partition without a consumer group, so it
 * never moves anyone's offsets.
 *
 * <p>Each line: {@code {"topic":..,"partition":..,"offset":..,"key":..,"type":..,"event":{envelope}}}.
 * Records that are not kos envelopes are reported on stderr and skipped.
 *
 * <table>
 *   <caption>Settings (flag, environment variable, default)</caption>
 *   <tr><th>key</th><th>flag / env</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>kafka.bootstrap</td><td>--kafka-bootstrap / KOS_KAFKA_BOOTSTRAP</td><td>localhost:9092</td><td>the Kafka cluster</td></tr>
 *   <tr><td>tail.topic</td><td>--tail-topic / KOS_TAIL_TOPIC</td><td>kos.files.v1</td><td>the topic to print</td></tr>
 *   <tr><td>tail.from</td><td>--tail-from / KOS_TAIL_FROM</td><td>end</td>
 *       <td>{@code beginning} replays the whole topic; {@code end} prints only new events</td></tr>
 *   <tr><td>tail.key</td><td>--tail-key / KOS_TAIL_KEY</td><td>(all)</td><td>only this record key (a file or node id)</td></tr>
 *   <tr><td>tail.max</td><td>--tail-max / KOS_TAIL_MAX</td><td>0</td><td>stop after this many events; 0 follows forever</td></tr>
 * </table>
 */
public final class TailCommand {
    private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();

    private final String bootstrap;
    private final String topic;
    private final boolean fromBeginning;
    private final Optional<String> key;
    private final long max;
    private volatile KafkaConsumer<String, EventEnvelope> consumer;

    TailCommand(Settings s) {
        this.bootstrap = s.string("kafka.bootstrap", "localhost:9092");
        this.topic = s.string("tail.topic", Topics.FILES);
        String from = s.string("tail.from", "end").toLowerCase(Locale.ROOT);
        if (!from.equals("beginning") && !from.equals("end")) {
            throw new IllegalArgumentException("setting tail.from is '" + from + "'; expected beginning or end");
        }
        this.fromBeginning = from.equals("beginning");
        this.key = s.optional("tail.key");
        this.max = s.longValue("tail.max", 0);
        if (max < 0) {
            throw new IllegalArgumentException("setting tail.max must be >= 0, got " + max);
        }
    }

    public static void main(String[] args) {
        Logging.configure("kos-tail");
        TailCommand tail;
        try {
            tail = new TailCommand(Settings.from(args));
        } catch (IllegalArgumentException e) {
            System.err.println("kos-tail: " + e.getMessage());
            System.exit(2);
            return;
        }
        Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            tail.stop();
            try {
                main.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "kos-tail-stop"));
        tail.run(System.out, System.err);
    }

    /** Prints events until {@code tail.max} is reached or {@link #stop()} is called; returns the count. */
    long run(PrintStream out, PrintStream err) {
        long printed = 0;
        try (EventSerde serde = new EventSerde();
             KafkaConsumer<String, EventEnvelope> c = new KafkaConsumer<>(Map.of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                     ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                     ConsumerConfig.CLIENT_ID_CONFIG, "kos-tail"), new StringDeserializer(), serde.deserializer())) {
            consumer = c;
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo p : c.partitionsFor(topic)) {
                parts.add(new TopicPartition(topic, p.partition()));
            }
            if (parts.isEmpty()) {
                throw new EventsException("topic " + topic + " does not exist", null);
            }
            c.assign(parts);
            if (fromBeginning) {
                c.seekToBeginning(parts);
            } else {
                c.seekToEnd(parts);
            }
            while (max == 0 || printed < max) {
                List<ConsumerRecord<String, EventEnvelope>> batch = new ArrayList<>();
                try {
                    c.poll(Duration.ofMillis(500)).forEach(batch::add);
                } catch (RecordDeserializationException e) {
                    err.println("kos-tail: skipping a record that is not a kos event at " + e.topicPartition() + "@" + e.offset());
                    c.seek(e.topicPartition(), e.offset() + 1);
                    continue;
                }
                for (ConsumerRecord<String, EventEnvelope> r : batch) {
                    if (key.isPresent() && !key.get().equals(r.key())) {
                        continue;
                    }
                    out.println(line(r));
                    out.flush();
                    if (++printed == max) {
                        break;
                    }
                }
            }
        } catch (WakeupException e) {
            // stop() was called: a clean end
        }
        return printed;
    }

    void stop() {
        KafkaConsumer<String, EventEnvelope> c = consumer;
        if (c != null) {
            c.wakeup();
        }
    }

    static String line(ConsumerRecord<String, EventEnvelope> r) {
        String event;
        try {
            event = JSON.print(r.value());
        } catch (InvalidProtocolBufferException e) {
            event = "null";
        }
        String type = r.value() == null ? "" : r.value().getPayloadCase() == EventEnvelope.PayloadCase.PAYLOAD_NOT_SET
                ? "unknown" : EventType.of(r.value()).wireName();
        return "{\"topic\":" + quote(r.topic()) + ",\"partition\":" + r.partition() + ",\"offset\":" + r.offset()
                + ",\"key\":" + (r.key() == null ? "null" : quote(r.key())) + ",\"type\":" + quote(type) + ",\"event\":" + event + "}";
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
