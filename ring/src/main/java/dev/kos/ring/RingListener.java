package dev.kos.ring;

/** Told when the current ring is replaced: the placement service reacts by moving chunks. */
@FunctionalInterface
public interface RingListener {
    void ringChanged(HashRing previous, HashRing current);
}
