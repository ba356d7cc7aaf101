package io.weft.agent.backend.userspace;

/**
 * {@link KernelInteropV6Test} on an underlay that behaves like a real NIC: transmit checksumming off (the kernel node
 * completes its TCPv6 checksums), GRO on receive (IPv6 UDP datagram trains through UDP_GRO).
 */
class KernelInteropV6NicTest extends KernelInteropV6Test {
    @Override
    boolean nicLike() {
        return true;
    }
}
