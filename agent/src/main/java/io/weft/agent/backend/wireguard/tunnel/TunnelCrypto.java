package io.weft.agent.backend.wireguard.tunnel;

import io.netty.buffer.ByteBuf;
import io.weft.agent.backend.wireguard.crypto.ChaChaPoly;
import io.weft.agent.backend.wireguard.noise.Protocol;
import io.weft.core.packet.DirectBufferMemory;

/**
 * Transport messages as flyweights over the datapath's direct buffers (whitepaper §5.4.6): {@code type 4, receiver
 * index, 64-bit counter} (little-endian) then the packet, zero-padded to a multiple of 16, sealed with the session key
 * and the counter as nonce. The cipher works on a heap array (the JDK's ChaCha20 intrinsic takes arrays), so each
 * packet is copied in and out of one reused array: two memory copies, no allocation of our own.
 * Event loop only.
 */
final class TunnelCrypto {
    /** Room for the largest packet the TUN hands over (a 64 KiB superpacket is segmented before sealing). */
    static final int WORK = 65536 + 64;

    private final ChaChaPoly aead = new ChaChaPoly();
    private final byte[] work = new byte[WORK];

    /** Padded plaintext length for a packet of {@code len} bytes under {@code mtu} (wireguard-go's calculatePaddingSize). */
    static int paddedLength(int len, int mtu) {
        int p = (len + Protocol.PADDING_MULTIPLE - 1) & -Protocol.PADDING_MULTIPLE;
        if (len <= mtu && p > mtu) p = mtu;
        return Math.max(p, len);
    }

    /** Bytes a sealed message of a {@code len}-byte packet takes. */
    static int sealedLength(int len, int mtu) {
        return Protocol.TRANSPORT_OVERHEAD + paddedLength(len, mtu);
    }

    /**
     * Seals the packet {@code src[srcIndex, +len)} (len may be 0: a keepalive) as transport message number
     * {@code counter} of {@code kp} into {@code dst[dstIndex]}; returns the message length.
     */
    int seal(Keypair kp, long counter, ByteBuf src, int srcIndex, int len, int mtu, ByteBuf dst, int dstIndex) {
        int padded = paddedLength(len, mtu);
        DirectBufferMemory.copyToArray(src, srcIndex, work, 0, len);
        java.util.Arrays.fill(work, len, padded, (byte) 0);
        int sealed = aead.seal(kp.send, counter, null, 0, 0, work, 0, padded, work, 0);
        dst.setIntLE(dstIndex, Protocol.TYPE_TRANSPORT);
        dst.setIntLE(dstIndex + 4, kp.remoteIndex);
        dst.setLongLE(dstIndex + 8, counter);
        DirectBufferMemory.copyFromArray(work, 0, dst, dstIndex + Protocol.TRANSPORT_HEADER_LENGTH, sealed);
        return Protocol.TRANSPORT_HEADER_LENGTH + sealed;
    }

    /**
     * Opens transport message {@code src[srcIndex, +len)} with {@code kp} into {@code dst[dstIndex]}; returns the
     * plaintext (padded packet) length, or -1 when it does not authenticate (nothing written).
     */
    int open(Keypair kp, ByteBuf src, int srcIndex, int len, ByteBuf dst, int dstIndex) {
        int sealed = len - Protocol.TRANSPORT_HEADER_LENGTH;
        DirectBufferMemory.copyToArray(src, srcIndex + Protocol.TRANSPORT_HEADER_LENGTH, work, 0, sealed);
        int n = aead.open(kp.receive, counter(src, srcIndex), null, 0, 0, work, 0, sealed, work, 0);
        if (n < 0) return -1;
        DirectBufferMemory.copyFromArray(work, 0, dst, dstIndex, n);
        return n;
    }

    static int receiver(ByteBuf b, int index) {
        return b.getIntLE(index + 4);
    }

    static long counter(ByteBuf b, int index) {
        return b.getLongLE(index + 8);
    }
}
