package dev.kos.placement;

import dev.kos.events.EventSerde;
import dev.kos.events.Topics;
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
        // Cached: an upload's keys are written and deleted again within a commit interval, so the
        // cache sends the changelog one tombstone per key at the commit instead of every put and delete
        // (and spares RocksDB the writes). Flushed at each commit, so exactly-once restore is unchanged.
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(ProgressStore.NAME), Serdes.String(), Serdes.ByteArray())
                .withCachingEnabled());
        builder.stream(Topics.FILES, Consumed.with(Serdes.String(), new EventSerde()))
                .process(() -> new FinalizeUploads(finalizer), ProgressStore.NAME);
        return builder.build();
    }
}
