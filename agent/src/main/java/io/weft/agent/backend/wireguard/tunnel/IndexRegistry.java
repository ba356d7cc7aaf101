package io.weft.agent.backend.wireguard.tunnel;

import java.security.SecureRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The 32-bit indices we hand out as "sender" in handshakes and receive back as "receiver": random (they reveal no
 * count), unique across handshakes in flight and live sessions, and released when those end. Shared by the
 * handshake thread (which allocates) and the event loop (which releases dropped sessions).
 */
final class IndexRegistry {
    private final ConcurrentHashMap<Integer, Peer> owners = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();

    int allocate(Peer owner) {
        while (true) {
            int i = random.nextInt();
            if (i != 0 && owners.putIfAbsent(i, owner) == null) return i;
        }
    }

    Peer owner(int index) {
        return owners.get(index);
    }

    void release(int index) {
        if (index != 0) owners.remove(index);
    }
}
