package dev.kos.schemas.compat;

/**
 * One backward-incompatible difference between a released schema and the current one.
 *
 * @param element the fully qualified element that broke, e.g. {@code kos.events.v1.ChunkStored.size}
 * @param problem what changed, in words a reviewer can act on
 */
public record SchemaBreak(String element, String problem) {
    @Override
    public String toString() {
        return element + ": " + problem;
    }
}
