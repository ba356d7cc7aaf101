package io.weft.agent.backend.wireguard.tunnel;

import io.weft.agent.backend.wireguard.noise.CookieGenerator;
import io.weft.agent.backend.wireguard.noise.Handshake;
import io.weft.agent.backend.wireguard.noise.LocalIdentity;
import io.weft.agent.backend.wireguard.noise.NoiseTools;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.List;

/**
 * A WireGuard peer: its public key, where to send (the endpoint, updated when it roams), which inner source
 * addresses it may use (its allowed IPs: the node's pod subnet), and its session state. Three owners, no locks:
 * the configuration fields are volatile (the agent replaces them), the handshake fields belong to the handshake
 * thread, the keypairs, staged packets and timers to the event loop.
 */
public final class Peer {
    /** Packets held while a handshake is under way (wireguard-go's QueueStagedSize). */
    static final int STAGED_MAX = 128;

    final byte[] publicKey;
    final String label;
    final byte[] presharedKey;
    final WgCounters counters;
    volatile InetSocketAddress endpoint;
    volatile List<IpCidr> allowed;
    volatile int keepaliveSeconds;

    // handshake thread: one state for our initiations, one for the peer's, so that when both sides initiate at
    // once (as two weft nodes that learn of each other together do) each answers the other and both sessions
    // complete, instead of each overwriting its own initiation and waiting REKEY_TIMEOUT to retry
    private Handshake handshake;
    private Handshake responding;
    private CookieGenerator cookies;
    int handshakeIndex;

    // event loop
    Keypair current;
    Keypair previous;
    Keypair next;
    final ArrayDeque<byte[]> staged = new ArrayDeque<>();
    final PeerTimers timers = new PeerTimers();
    boolean removed;

    /**
     * @param label how metrics and logs name the peer (its PublicIP): never a key
     */
    public Peer(byte[] publicKey, byte[] presharedKey, String label, InetSocketAddress endpoint, List<? extends IpCidr> allowed,
                int keepaliveSeconds) {
        this.publicKey = publicKey.clone();
        this.presharedKey = presharedKey == null ? null : presharedKey.clone();
        this.label = label;
        this.counters = new WgCounters(label);
        this.endpoint = endpoint;
        this.allowed = List.copyOf(allowed);
        this.keepaliveSeconds = keepaliveSeconds;
    }

    public String label() {
        return label;
    }

    public String publicKeyBase64() {
        return Base64.getEncoder().encodeToString(publicKey);
    }

    public WgCounters counters() {
        return counters;
    }

    public InetSocketAddress endpoint() {
        return endpoint;
    }

    /** The inner source addresses this peer may use (its node's pod subnets). */
    public List<IpCidr> allowed() {
        return allowed;
    }

    /** Our initiation's state, made on first use by the handshake thread (its DH precomputation needs that thread's tools). */
    Handshake handshake(NoiseTools t, LocalIdentity self) {
        if (handshake == null) handshake = new Handshake(t, self, publicKey, presharedKey);
        return handshake;
    }

    /** The state for answering the peer's initiations (it remembers their last timestamp against replays). */
    Handshake responding(NoiseTools t, LocalIdentity self) {
        if (responding == null) responding = new Handshake(t, self, publicKey, presharedKey);
        return responding;
    }

    CookieGenerator cookies(NoiseTools t) {
        if (cookies == null) cookies = new CookieGenerator(t, publicKey);
        return cookies;
    }

    /** Whether the IPv4 source {@code ip} of a decrypted packet is one this peer may use. */
    boolean allows(int ip) {
        for (IpCidr c : allowed) {
            if (c instanceof Ipv4Cidr c4 && ((ip ^ c4.network().value()) & Ipv4Cidr.mask(c.prefix())) == 0) return true;
        }
        return false;
    }

    /** Whether the IPv6 source {@code hi:lo} of a decrypted packet is one this peer may use. */
    boolean allows6(long hi, long lo) {
        for (IpCidr c : allowed) {
            if (c instanceof Ipv6Cidr c6 && ((hi ^ c6.network().high()) & Router.high(c.prefix())) == 0
                    && ((lo ^ c6.network().low()) & Router.low(c.prefix())) == 0) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "peer " + label;
    }
}
