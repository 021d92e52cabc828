package dev.kos.placement;

import dev.kos.events.EventSerde;
import dev.kos.events.Topics;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.state.Stores;

/** The placement service's stream topology: the files topic into the upload finalizer. */
final class PlacementTopology {
    private PlacementTopology() {
    }

    static Topology build(UploadFinalizer finalizer) {
        StreamsBuilder builder = new StreamsBuilder();
        // In memory, not RocksDB: the store holds only uploads in flight, and every upload's keys are
        // deleted again seconds after they were written. In RocksDB those deletes stay behind as
        // tombstones until a flush, and each prefix scan (two per upload) stepped over the tombstones
        // of every upload since: perf put RocksDB's iterator at ~4 % of the machine under 1 MiB
        // uploads. A map forgets a deleted key at once.
        // The price: a restart restores the whole changelog, not just what a local checkpoint lacks,
        // so the changelog is kept short: small segments, compacted, tombstones kept an hour.
        // Cached: the cache sends the changelog one tombstone per key at the commit instead of every
        // put and delete. Flushed at each commit, so exactly-once restore is unchanged.
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(ProgressStore.NAME), Serdes.String(), Serdes.ByteArray())
                .withCachingEnabled()
                .withLoggingEnabled(Map.of(
                        TopicConfig.SEGMENT_BYTES_CONFIG, String.valueOf(64 << 20),
                        TopicConfig.SEGMENT_MS_CONFIG, String.valueOf(Duration.ofHours(1).toMillis()),
                        TopicConfig.DELETE_RETENTION_MS_CONFIG, String.valueOf(Duration.ofHours(1).toMillis()))));
        builder.stream(Topics.FILES, Consumed.with(Serdes.String(), new EventSerde()))
                .process(() -> new FinalizeUploads(finalizer), ProgressStore.NAME);
        return builder.build();
    }
}
