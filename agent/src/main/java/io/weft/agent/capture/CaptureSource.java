package io.weft.agent.capture;

/**
 * A datapath that can show what crosses it: it hands every inner frame it sends or delivers to the installed sink.
 * Backends that own their datapath implement it; the agent wires {@link CaptureHandler} to whichever runs.
 */
public interface CaptureSource {
    /** The sink frames go to now, or null when no capture runs. */
    FrameSink sink();

    /** Installs {@code sink} (null removes it). */
    void sink(FrameSink sink);

    /** Whether the datapath running now is one the agent can see into (a backend with a kernel datapath says no). */
    default boolean capturable() {
        return true;
    }
}
