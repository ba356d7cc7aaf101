package io.weft.agent.backend.wireguard.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.DefaultEventLoop;
import io.weft.agent.backend.wireguard.crypto.X25519;
import io.weft.agent.backend.wireguard.noise.LocalIdentity;
import io.weft.core.net.IpCidr;
import io.weft.core.packet.VirtioNetHdr;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A {@link Tunnel} on its own event loop with an in-memory "wire" and "TUN": datagrams go to whichever node owns
 * the destination address (split into segments when sent as a GSO run), delivered packets are recorded. A stand-in
 * for the socket and the TUN, which the namespace tests exercise for real.
 */
final class MemoryNode implements AutoCloseable {
    static final Map<InetSocketAddress, MemoryNode> WIRE = new ConcurrentHashMap<>();

    final InetSocketAddress address;
    /** Its pod subnets: one, or an IPv4 and an IPv6 one given as "a,b". */
    final List<IpCidr> subnets;
    final byte[] privateKey;
    final LocalIdentity identity;
    final DefaultEventLoop loop = new DefaultEventLoop();
    final Tunnel tunnel;
    final List<byte[]> delivered = new CopyOnWriteArrayList<>();
    final List<byte[]> sentDatagrams = new CopyOnWriteArrayList<>();
    volatile boolean wireCut;
    /** Whether received TCP segments are joined into superpackets (as over a TUN with offloads). */
    volatile boolean coalesce;
    final io.netty.buffer.ByteBufAllocator alloc;
    final List<Throwable> errors = new CopyOnWriteArrayList<>();

    MemoryNode(String ip, String subnet) {
        this(ip, subnet, X25519.generatePrivate());
    }

    MemoryNode(String ip, String subnet, byte[] privateKey) {
        this(ip, subnet, privateKey, PooledByteBufAllocator.DEFAULT);
    }

    MemoryNode(String ip, String subnet, byte[] privateKey, io.netty.buffer.ByteBufAllocator alloc) {
        this.alloc = alloc;
        this.address = new InetSocketAddress(ip, 51820);
        this.subnets = java.util.Arrays.stream(subnet.split(",")).map(IpCidr::parse).toList();
        this.privateKey = privateKey;
        this.identity = new LocalIdentity(privateKey);
        this.tunnel = new Tunnel(identity, 1420, new Io(), loop);
        WIRE.put(address, this);
        loop.scheduleAtFixedRate(tunnel::tick, 50, 50, TimeUnit.MILLISECONDS);
    }

    Peer peerFor(MemoryNode other, byte[] psk) {
        return new Peer(other.identity.publicKey(), psk, other.address.getHostString(), other.address, other.subnets, 0);
    }

    /** An IP packet "read from the TUN" (no offload: a zero virtio-net header). */
    void fromTun(byte[] packet) {
        loop.execute(() -> {
            ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(packet.length + VirtioNetHdr.LENGTH);
            VirtioNetHdr.writeNone(b, 0);
            b.setBytes(VirtioNetHdr.LENGTH, packet);
            try {
                tunnel.transmitter().fromTun(b, packet.length + VirtioNetHdr.LENGTH);
                tunnel.io.flush();
            } finally {
                b.release();
            }
        });
    }

    /** A raw read from the TUN: virtio-net header and packet as given. */
    void fromTunRaw(byte[] vnetAndPacket) {
        loop.execute(() -> {
            ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(vnetAndPacket.length);
            b.setBytes(0, vnetAndPacket);
            try {
                tunnel.transmitter().fromTun(b, vnetAndPacket.length);
                tunnel.io.flush();
            } catch (Throwable t) {
                errors.add(t);
            } finally {
                b.release();
            }
        });
    }

    /** A datagram arriving from {@code from}. */
    void receive(byte[] datagram, InetSocketAddress from) {
        receive(List.of(datagram), from);
    }

    /** Datagrams arriving together (one recvmmsg batch, as a GSO run arrives): the receiver flushes after the last. */
    void receive(List<byte[]> datagrams, InetSocketAddress from) {
        loop.execute(() -> {
            for (byte[] datagram : datagrams) {
                ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(Math.max(1, datagram.length));
                b.writeBytes(datagram);
                try {
                    tunnel.receiver().datagram(b, 0, datagram.length, from);
                } catch (Throwable t) {
                    errors.add(t);
                } finally {
                    b.release();
                }
            }
            tunnel.receiver().flush();
            tunnel.io.flush();
        });
    }

    static void await(String what, BooleanSupplier cond) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out waiting for " + what);
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Override
    public void close() {
        WIRE.remove(address, this);
        try {
            loop.submit(tunnel::close).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Io implements TunnelIo {
        @Override
        public void send(ByteBuf datagram, int segmentSize, InetSocketAddress to) {
            try {
                int len = datagram.readableBytes();
                int step = segmentSize > 0 ? segmentSize : len;
                List<byte[]> run = new java.util.ArrayList<>();
                for (int o = 0; o < len; o += step) {
                    byte[] d = new byte[Math.min(step, len - o)];
                    datagram.getBytes(datagram.readerIndex() + o, d);
                    sentDatagrams.add(d);
                    run.add(d);
                }
                MemoryNode dst = WIRE.get(to);
                if (dst != null && !wireCut) dst.receive(run, address);
            } finally {
                datagram.release();
            }
        }

        @Override
        public void flush() {}

        @Override
        public boolean writeTun(long address, int length) {
            byte[] p = java.lang.foreign.MemorySegment.ofAddress(address + VirtioNetHdr.LENGTH).reinterpret(length - VirtioNetHdr.LENGTH)
                    .toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            delivered.add(p);
            return true;
        }

        @Override
        public boolean coalesce() {
            return coalesce;
        }

        @Override
        public ByteBufAllocator alloc() {
            return alloc;
        }

        @Override
        public boolean gso() {
            return true;
        }
    }
}
