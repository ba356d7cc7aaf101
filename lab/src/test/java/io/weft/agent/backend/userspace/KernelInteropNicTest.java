package io.weft.agent.backend.userspace;

/**
 * {@link KernelInteropTest} on an underlay that behaves like a real NIC: transmit checksumming off (the kernel node
 * completes its checksums), GRO on receive (the userspace node gets datagram trains through UDP_GRO).
 */
class KernelInteropNicTest extends KernelInteropTest {
    @Override
    boolean nicLike() {
        return true;
    }
}
