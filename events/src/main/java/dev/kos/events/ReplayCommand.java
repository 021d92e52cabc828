package dev.kos.events;

import dev.kos.config.Logging;
import dev.kos.config.Settings;
import java.io.PrintStream;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Moves a consumer group's committed offsets on one topic, so that the group's consumers
 * replay from there when they next start: to the beginning, to an offset, to a time, or to
 * the end (skip). For operators rebuilding a consumer or recovering metadata; see
 * docs/operations.md for the procedure.
 *
 * <p>It refuses while the group has members: a running consumer would overwrite the new
 * offsets with its own next commit (the broker refuses too, but with a cryptic error). Stop
 * the consumers first. With {@code --dry-run} it prints the plan (per partition: committed
 * offset now, target, records to replay) and changes nothing.
 *
 * <p>Targets are clamped to what the partition holds: an offset below the log start goes to
 * the log start, one past the end goes to the end. A time picks, per partition, the first
 * record whose timestamp is at or after it (the end when there is none). Ends are
 * read-committed (the last stable offset), as kos consumers read.
 *
 * <table>
 *   <caption>Settings (flag, environment variable, default)</caption>
 *   <tr><th>key</th><th>flag / env</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>kafka.bootstrap</td><td>--kafka-bootstrap / KOS_KAFKA_BOOTSTRAP</td><td>localhost:9092</td><td>the Kafka cluster</td></tr>
 *   <tr><td>replay.group</td><td>--replay-group / KOS_REPLAY_GROUP</td><td>(required)</td>
 *       <td>the consumer group, e.g. kos-cleanup, or kos-placement (the Streams application id)</td></tr>
 *   <tr><td>replay.topic</td><td>--replay-topic / KOS_REPLAY_TOPIC</td><td>kos.files.v1</td><td>the topic to rewind</td></tr>
 *   <tr><td>replay.to</td><td>--replay-to / KOS_REPLAY_TO</td><td>(required)</td>
 *       <td>{@code beginning}, {@code end}, {@code offset:<n>} (the same offset on every partition), or an
 *       ISO-8601 instant such as {@code 2026-11-02T10:00:00Z}</td></tr>
 *   <tr><td>replay.partitions</td><td>--replay-partitions / KOS_REPLAY_PARTITIONS</td><td>(all)</td>
 *       <td>comma-separated partition numbers to move; the others keep their offsets</td></tr>
 *   <tr><td>replay.dry-run</td><td>--replay-dry-run or --dry-run / KOS_REPLAY_DRY_RUN</td><td>false</td>
 *       <td>print the plan only</td></tr>
 * </table>
 *
 * <p>Exit status: 0 applied (or planned, with --dry-run), 1 refused or failed, 2 bad settings.
 */
public final class ReplayCommand {
    private static final Logger LOG = Logger.getLogger(ReplayCommand.class.getName());
    private static final long TIMEOUT_S = 30;

    /** Where the group should resume. */
    public sealed interface Target {
        /** Parses {@code beginning}, {@code end}, {@code offset:<n>} or an ISO-8601 instant. */
        static Target parse(String text) {
            String t = text.trim();
            switch (t.toLowerCase(Locale.ROOT)) {
                case "beginning", "earliest" -> {
                    return new Beginning();
                }
                case "end", "latest" -> {
                    return new End();
                }
                default -> {
                }
            }
            if (t.toLowerCase(Locale.ROOT).startsWith("offset:")) {
                try {
                    long n = Long.parseLong(t.substring("offset:".length()).trim());
                    if (n < 0) {
                        throw new IllegalArgumentException("replay offset must be >= 0, got " + n);
                    }
                    return new Offset(n);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("replay.to '" + text + "': offset:<n> needs a whole number");
                }
            }
            try {
                return new Time(Instant.parse(t));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("replay.to is '" + text + "'; expected beginning, end, offset:<n> "
                        + "or an ISO-8601 instant such as 2026-11-02T10:00:00Z");
            }
        }
    }

    /** The first record each partition still holds. */
    public record Beginning() implements Target {
    }

    /** Past the last record: nothing is replayed, everything older is skipped. */
    public record End() implements Target {
    }

    /** The same offset on every partition, clamped to the partition's range. */
    public record Offset(long offset) implements Target {
    }

    /** The first record at or after this time, per partition. */
    public record Time(Instant at) implements Target {
    }

    /** What to do: group, topic, target, the partitions to move (empty = all), and whether to apply. */
    public record Request(String group, String topic, Target target, Set<Integer> partitions, boolean dryRun) {
        public Request {
            if (group == null || group.isBlank()) {
                throw new IllegalArgumentException("replay needs a consumer group (--replay-group)");
            }
            if (topic == null || topic.isBlank()) {
                throw new IllegalArgumentException("replay needs a topic (--replay-topic)");
            }
            if (target == null) {
                throw new IllegalArgumentException("replay needs a target (--replay-to)");
            }
            partitions = Set.copyOf(partitions);
        }

        static Request fromSettings(Settings s) {
            String to = s.optional("replay.to").orElseThrow(() -> new IllegalArgumentException(
                    "replay needs --replay-to: beginning, end, offset:<n> or an ISO-8601 instant"));
            Set<Integer> partitions = new TreeSet<>();
            for (String p : s.string("replay.partitions", "").split(",")) {
                if (!p.isBlank()) {
                    try {
                        partitions.add(Integer.parseInt(p.trim()));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("replay.partitions is '" + s.string("replay.partitions", "")
                                + "'; expected comma-separated partition numbers");
                    }
                }
            }
            boolean dryRun = s.bool("replay.dry-run", s.bool("dry-run", false));
            return new Request(s.optional("replay.group").orElse(null), s.string("replay.topic", Topics.FILES),
                    Target.parse(to), partitions, dryRun);
        }
    }

    /**
     * One partition's move. {@code committed} is empty when the group has no offset there (it
     * would start at its auto.offset.reset position).
     */
    public record PartitionMove(int partition, OptionalLong committed, long target, long logStart, long logEnd) {
        /** Records the group will read again (negative when the move skips records forward). */
        public long replayed() {
            return (committed.isPresent() ? committed.getAsLong() : logStart) - target;
        }
    }

    /** The whole plan; {@link #describe()} is what the command prints. */
    public record Plan(String group, String topic, Target target, List<PartitionMove> moves) {
        public Plan {
            moves = List.copyOf(moves);
        }

        public String describe() {
            StringBuilder b = new StringBuilder("replay plan: group ").append(group).append(" on ").append(topic)
                    .append(" to ").append(target).append('\n');
            b.append(String.format("%-9s %12s %12s %12s %12s %12s%n", "partition", "committed", "target", "log-start",
                    "log-end", "to-replay"));
            for (PartitionMove m : moves) {
                b.append(String.format("%-9d %12s %12d %12d %12d %12d%n", m.partition(),
                        m.committed().isPresent() ? Long.toString(m.committed().getAsLong()) : "none",
                        m.target(), m.logStart(), m.logEnd(), m.replayed()));
            }
            return b.toString();
        }
    }

    /** The group has live members: its consumers must be stopped before a replay. */
    public static final class GroupActiveException extends EventsException {
        public GroupActiveException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final String bootstrap;
    private final Request request;

    ReplayCommand(Settings s) {
        this.bootstrap = s.string("kafka.bootstrap", "localhost:9092");
        this.request = Request.fromSettings(s);
    }

    public static void main(String[] args) {
        Logging.configure("kos-replay");
        ReplayCommand cmd;
        try {
            cmd = new ReplayCommand(Settings.from(args));
        } catch (IllegalArgumentException e) {
            System.err.println("kos-replay: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            cmd.run(System.out);
        } catch (EventsException e) {
            System.err.println("kos-replay: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Plans, prints the plan, and applies it unless this is a dry run; returns the plan. */
    Plan run(PrintStream out) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.CLIENT_ID_CONFIG, "kos-replay"))) {
            Plan plan = plan(admin, request);
            out.print(plan.describe());
            if (request.dryRun()) {
                out.println("dry run: no offsets changed");
            } else {
                apply(admin, plan);
                out.println("committed the new offsets of group " + plan.group() + "; start its consumers to replay");
            }
            out.flush();
            return plan;
        }
    }

    /**
     * Reads the group's committed offsets and the topic's ranges and computes the targets.
     *
     * @throws GroupActiveException the group has members
     * @throws EventsException the topic or a requested partition does not exist, or Kafka fails
     */
    public static Plan plan(Admin admin, Request r) {
        requireIdle(admin, r.group());
        List<TopicPartition> partitions = partitions(admin, r);
        Map<TopicPartition, OffsetAndMetadata> committed = call(
                admin.listConsumerGroupOffsets(r.group()).partitionsToOffsetAndMetadata(), "read the offsets of group " + r.group());
        Map<TopicPartition, Long> start = offsets(admin, partitions, OffsetSpec.earliest());
        Map<TopicPartition, Long> end = offsets(admin, partitions, OffsetSpec.latest());
        Map<TopicPartition, Long> atTime = r.target() instanceof Time t
                ? offsets(admin, partitions, OffsetSpec.forTimestamp(t.at().toEpochMilli())) : Map.of();
        List<PartitionMove> moves = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            long lo = start.get(tp);
            long hi = end.get(tp);
            long target = switch (r.target()) {
                case Beginning b -> lo;
                case End e -> hi;
                case Offset o -> Math.max(lo, Math.min(hi, o.offset()));
                // -1: no record at or after the time; resume at the end.
                case Time t -> atTime.get(tp) < 0 ? hi : Math.max(lo, Math.min(hi, atTime.get(tp)));
            };
            OffsetAndMetadata c = committed.get(tp);
            moves.add(new PartitionMove(tp.partition(), c == null ? OptionalLong.empty() : OptionalLong.of(c.offset()), target, lo, hi));
        }
        return new Plan(r.group(), r.topic(), r.target(), moves);
    }

    /** Commits the plan's targets for the group. */
    public static void apply(Admin admin, Plan plan) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (PartitionMove m : plan.moves()) {
            offsets.put(new TopicPartition(plan.topic(), m.partition()), new OffsetAndMetadata(m.target(), "kos-replay"));
        }
        try {
            admin.alterConsumerGroupOffsets(plan.group(), offsets).all().get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownMemberIdException || e.getCause() instanceof GroupNotEmptyException) {
                // A consumer joined between the check and the commit.
                throw new GroupActiveException("group " + plan.group() + " became active while replaying; nothing was changed. "
                        + "Stop its consumers and run again", e.getCause());
            }
            throw new EventsException("cannot commit the offsets of group " + plan.group() + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new EventsException("Kafka did not confirm the new offsets of group " + plan.group() + " within " + TIMEOUT_S
                    + " s; check them with --dry-run before retrying", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EventsException("interrupted while committing the offsets of group " + plan.group(), e);
        }
        LOG.info("replay: group " + plan.group() + " on " + plan.topic() + " moved to " + plan.target() + " on "
                + plan.moves().size() + " partitions");
    }

    private static void requireIdle(Admin admin, String group) {
        ConsumerGroupDescription d;
        try {
            d = admin.describeConsumerGroups(List.of(group)).all().get(TIMEOUT_S, TimeUnit.SECONDS).get(group);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return; // a new group: the plan prepares where it will start
            }
            throw new EventsException("cannot describe group " + group + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new EventsException("cannot describe group " + group + ": Kafka did not answer within " + TIMEOUT_S + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EventsException("interrupted while describing group " + group, e);
        }
        if (d.type() == GroupType.STREAMS) {
            throw new EventsException("group " + group + " uses the Kafka Streams group protocol; reset it with "
                    + "kafka-streams-groups.sh --reset-offsets (see docs/operations.md)", null);
        }
        if (!d.members().isEmpty() || (d.groupState() != GroupState.EMPTY && d.groupState() != GroupState.DEAD)) {
            List<String> members = d.members().stream().map(m -> m.clientId() + "@" + m.host()).toList();
            throw new GroupActiveException("group " + group + " has " + d.members().size() + " active member(s) " + members
                    + " (state " + d.groupState() + "); stop its consumers before replaying: a running consumer would "
                    + "overwrite the new offsets with its next commit", null);
        }
    }

    private static List<TopicPartition> partitions(Admin admin, Request r) {
        TopicDescription topic;
        try {
            topic = admin.describeTopics(List.of(r.topic())).allTopicNames().get(TIMEOUT_S, TimeUnit.SECONDS).get(r.topic());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                throw new EventsException("topic " + r.topic() + " does not exist", e.getCause());
            }
            throw new EventsException("cannot describe topic " + r.topic() + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new EventsException("cannot describe topic " + r.topic() + ": Kafka did not answer within " + TIMEOUT_S + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EventsException("interrupted while describing topic " + r.topic(), e);
        }
        Set<Integer> exists = new TreeSet<>();
        topic.partitions().forEach(p -> exists.add(p.partition()));
        Set<Integer> wanted = r.partitions().isEmpty() ? exists : new TreeSet<>(r.partitions());
        Optional<Integer> missing = wanted.stream().filter(p -> !exists.contains(p)).findFirst();
        if (missing.isPresent()) {
            throw new EventsException("topic " + r.topic() + " has no partition " + missing.get() + " (it has " + exists + ")", null);
        }
        return wanted.stream().sorted().map(p -> new TopicPartition(r.topic(), p)).toList();
    }

    private static Map<TopicPartition, Long> offsets(Admin admin, Collection<TopicPartition> partitions, OffsetSpec spec) {
        Map<TopicPartition, OffsetSpec> query = new HashMap<>();
        partitions.forEach(tp -> query.put(tp, spec));
        Map<TopicPartition, ListOffsetsResultInfo> info = call(
                admin.listOffsets(query, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all(), "list offsets");
        Map<TopicPartition, Long> out = new HashMap<>();
        info.forEach((tp, i) -> out.put(tp, i.offset()));
        return out;
    }

    private static <T> T call(org.apache.kafka.common.KafkaFuture<T> f, String what) {
        try {
            return f.get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new EventsException("cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new EventsException("cannot " + what + ": Kafka did not answer within " + TIMEOUT_S + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EventsException("interrupted while trying to " + what, e);
        }
    }
}
