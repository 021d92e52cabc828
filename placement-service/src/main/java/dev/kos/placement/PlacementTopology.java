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
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(ProgressStore.NAME), Serdes.String(), Serdes.ByteArray()));
        builder.stream(Topics.FILES, Consumed.with(Serdes.String(), new EventSerde()))
                .process(() -> new FinalizeUploads(finalizer), ProgressStore.NAME);
        return builder.build();
    }
}
