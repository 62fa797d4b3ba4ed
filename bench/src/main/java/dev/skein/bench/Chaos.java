package dev.skein.bench;

/** What a soak kills under load, and how it brings it back. */
interface Chaos {

    /**
     * Kills one thing and brings it back; returns once it is back (started again, or, for a broker,
     * back in every replica set), while the load goes on.
     *
     * @param loadStart when the load began ({@link System#nanoTime()}), to date the kill
     */
    Soak.Kill strike(long loadStart) throws Exception;
}
