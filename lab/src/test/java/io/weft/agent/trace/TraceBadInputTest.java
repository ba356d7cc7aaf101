package io.weft.agent.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What an operator gets wrong, and what {@code weftd trace} and {@code weftd status} answer: one line on stderr that
 * says what was wrong, exit code 2, nothing traced. An address that is not one, an IPv6 one (trace follows IPv4), one outside the pod network, a pod
 * address no pod has (on either node), no agent running on the node, and another node's agent that refuses our
 * certificate (then the trace goes on with this node's side and says what it could not ask).
 */
@Timeout(300)
class TraceBadInputTest {

    @Test
    void eachMistakeGetsOneClearLine() throws Exception {
        try (TraceLab t = new TraceLab("wtr-bad", "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}", "1s",
                List.of())) {
            String a = t.a.ip().toString();
            String b = t.b.ip().toString();

            oneLine(t.trace(1, a, "10.244.2.300"), "weftd trace: DST 10.244.2.300 is not an IPv4 address");
            oneLine(t.trace(1, "fd00:10:244:1::5", b), "weftd trace: SRC fd00:10:244:1::5 is an IPv6 address: weftd trace"
                    + " follows IPv4 pod traffic only; tcpdump -i flannel-v6.1 (or weftd capture on the userspace datapath) shows"
                    + " IPv6 pod packets");
            oneLine(t.trace(1, a, "10.9.9.9"), "weftd trace: 10.9.9.9 is outside the pod network 10.244.0.0/16: give two pod addresses");
            // the nodes' subnets are whatever their leases gave them: the pods' addresses say which
            String net1 = a.substring(0, a.lastIndexOf('.'));
            String net2 = b.substring(0, b.lastIndexOf('.'));
            oneLine(t.trace(1, net1 + ".77", b), "weftd trace: no pod has " + net1 + ".77 on this node (" + net1
                    + ".0/24): nothing answers ARP for it on cni0");
            oneLine(t.trace(1, a, net2 + ".77"), "weftd trace: the node of " + net2 + ".77 says: no pod has " + net2
                    + ".77 on this node (" + net2 + ".0/24): nothing answers ARP for it on cni0");
            String elsewhere1 = unused(net1, net2, 250) + ".5";
            String elsewhere2 = unused(net1, net2, 251) + ".6";
            oneLine(t.trace(1, elsewhere1, elsewhere2), "weftd trace: neither " + elsewhere1 + " nor " + elsewhere2
                    + " is on this node (" + net1 + ".0/24): ask the node of one of them");

            String gone = t.lab.workDir().resolve("no-such.sock").toString();
            oneLine(t.weftd(1, List.of("status", "--agent", gone)), "weftd status: no weftd is running on this node: there"
                    + " is no " + gone + " (or weftd runs with another --debug-socket; give it as --agent)");
            oneLine(t.weftd(1, List.of("trace", a, b, "--agent", gone)), "weftd trace: no weftd is running on this node:"
                    + " there is no " + gone + " (or weftd runs with another --debug-socket; give it as --agent)");

            // the other node's agent refuses a certificate its CA did not sign: this node's side is still shown
            TraceLab.Run refused = t.weftd(1, List.of("trace", a, b, "-o", "json", "--agent",
                    t.lab.debugSocket(t.lab.node(1)).toString(), "--cert", t.pki.file("rogue.pem").toString(), "--key",
                    t.pki.file("rogue.key").toString(), "--cacert", t.pki.file("ca.pem").toString()));
            List<String> err = refused.err().lines().filter(l -> !l.isBlank()).toList();
            assertEquals(1, err.size(), refused.toString());
            assertTrue(err.getFirst().startsWith("weftd trace: could not ask the node of " + b + ": the agent at https://"
                    + t.lab.node(2).ip() + ":10268 refused the connection: it does not accept our certificate"), refused.toString());
            assertEquals(0, refused.exit(), "every reply came back: healthy as far as this node sees\n" + refused);
            assertEquals(4, refused.json().path("source").path("hops").size(), refused.toString());
            assertTrue(refused.json().path("destination").isNull(), refused.toString());
        }
    }

    /** A /24 of the pod network that neither node holds, near {@code third}. */
    private static String unused(String net1, String net2, int third) {
        for (int i = third; ; i = (i + 2) % 256) {
            String n = "10.244." + i;
            if (!n.equals(net1) && !n.equals(net2)) return n;
        }
    }

    private static void oneLine(TraceLab.Run r, String line) {
        assertEquals(2, r.exit(), r.toString());
        assertEquals(line + "\n", r.err(), r.toString());
        assertEquals("", r.out(), r.toString());
    }
}
