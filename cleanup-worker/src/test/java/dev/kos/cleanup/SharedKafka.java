package dev.kos.cleanup;

import dev.kos.config.Logging;
import dev.kos.embeddedkafka.EmbeddedKafkaBroker;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real Kafka broker for every test class of the module (it takes seconds to start), kept
 * in JUnit's root store, which closes it when the whole run ends. Register it as a static
 * field; classes keep apart by file ids and consumer groups.
 */
final class SharedKafka implements BeforeAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SharedKafka.class);
    private EmbeddedKafkaBroker broker;

    @Override
    public void beforeAll(ExtensionContext context) {
        broker = context.getRoot().getStore(NS).computeIfAbsent(EmbeddedKafkaBroker.class, k -> {
            Logging.configure("cleanup-test");
            return EmbeddedKafkaBroker.start(null, 0);
        }, EmbeddedKafkaBroker.class);
    }

    EmbeddedKafkaBroker broker() {
        return broker;
    }
}
