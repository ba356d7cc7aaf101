package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weft.lab.overlay.Overlay;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Each drop rule of the userspace datapath, proven on a live node: a crafted datagram is sent to node 2's
 * port 8472 (from node 1, a known peer, or node 3, which is no peer) and exactly the matching counter moves.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class DropRulesTest {
    static final String GOOD_HDR = "0800000000000100"; // flags I, VNI 1
    static final String TO_US = "0a0000000002" + "0a0000000001" + "0800";
    static final String PAYLOAD = "45000014000040004001000000000000000000000000000000000000000000000000";
    /** UDP 10.244.1.5:40000 -> 10.244.2.5:5301 "weft": its IPv4 header, then the UDP header and payload. */
    static final String UDP_IP = "4500002000014000401121db0af401050af40205";
    /** The checksum field holds the pseudo-header sum (0x190f): partial, as a kernel peer over a veth sends it. */
    static final String UDP_PARTIAL = "9c4014b5000c190f77656674";
    /** Neither right (0x5815) nor partial. */
    static final String UDP_WRONG = "9c4014b5000c591577656674";
    Overlay o;

    @BeforeAll
    void up() throws Exception {
        o = new Overlay("wdr", 3);
        o.userspaceVtep(2, true, 1);
    }

    @AfterAll
    void down() {
        if (o != null) o.close();
    }

    @Test
    void everyBadDatagramIsCountedUnderItsReason() throws Exception {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("bad_flags", "0c00000000000100" + TO_US + PAYLOAD);
        cases.put("wrong_vni", "0800000000000200" + TO_US + PAYLOAD);
        cases.put("runt", "08000000000001000a00");
        cases.put("oversize", GOOD_HDR + TO_US + "00".repeat(1600));
        cases.put("not_our_mac", GOOD_HDR + "0a0000000009" + "0a0000000001" + "0800" + PAYLOAD);
        cases.put("bad_checksum", GOOD_HDR + TO_US + UDP_IP + UDP_WRONG);
        String peer = Overlay.publicIp(1).toString();
        Map<String, Long> before = new LinkedHashMap<>();
        for (String r : cases.keySet()) before.put(r, o.counter(2, "weft_userspace_drops_total", peer, r));
        long rxBefore = o.counter(2, "weft_userspace_rx_packets_total", peer, null);
        long unknownBefore = o.counter(2, "weft_userspace_drops_total", "unknown", "unknown_source");
        long partialBefore = partialChecksums();

        // Reserved bits set in the flags word (the kernel drops these too) count as bad flags.
        String[] fromPeer = new String[cases.size() + 3];
        int k = 0;
        fromPeer[k++] = "0800010000000100" + TO_US + PAYLOAD;
        for (String hex : cases.values()) fromPeer[k++] = hex;
        fromPeer[k++] = GOOD_HDR + TO_US + PAYLOAD; // the controls: a good one is delivered,
        fromPeer[k] = GOOD_HDR + TO_US + UDP_IP + UDP_PARTIAL; // and so is one with a partial checksum
        inject(1, fromPeer);
        inject(3, GOOD_HDR + TO_US + PAYLOAD); // node 3 is no peer

        Overlay.sleep(300);
        for (var e : cases.entrySet()) {
            long expected = before.get(e.getKey()) + (e.getKey().equals("bad_flags") ? 2 : 1);
            assertEquals(expected, o.counter(2, "weft_userspace_drops_total", peer, e.getKey()), e.getKey());
        }
        assertEquals(rxBefore + 2, o.counter(2, "weft_userspace_rx_packets_total", peer, null), "the good datagrams");
        assertEquals(partialBefore + 1, partialChecksums(), "the partial checksum was handed on to be finished");
        assertEquals(unknownBefore + 1, o.counter(2, "weft_userspace_drops_total", "unknown", "unknown_source"),
                "datagram from a node that is no peer");
    }

    long partialChecksums() throws Exception {
        o.counter(2, "weft_userspace_rx_packets_total", Overlay.publicIp(1).toString(), null); // waits for a fresh file
        return Long.parseLong(UdpGroTest.metric(o.metrics(2), "weft_userspace_rx_partial_checksums_total"));
    }

    void inject(int fromNode, String... hex) throws Exception {
        String[] args = new String[3 + hex.length];
        args[0] = "inject";
        args[1] = Overlay.publicIp(2).toString();
        args[2] = Integer.toString(Overlay.PORT);
        System.arraycopy(hex, 0, args, 3, hex.length);
        Overlay.await(Overlay.tool(o.node(fromNode), args), "INJECTED", 30);
    }
}
