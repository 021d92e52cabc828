package dev.kos.storageclient;

/**
 * A chunk the node verified and made visible.
 *
 * @param alreadyPresent true when identical content was stored already and nothing was written
 */
public record PutResult(String chunkId, long length, int crc32c, boolean alreadyPresent, String nodeId) {
}
