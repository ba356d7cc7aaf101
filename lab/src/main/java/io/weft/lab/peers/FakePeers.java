package io.weft.lab.peers;

import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;

/**
 * Nodes that exist only as leases, for the benchmarks and tests that need thousands of peers: peer {@code i} holds
 * subnet 10.&lt;64 + i/256&gt;.&lt;i%256&gt;.0/24 (inside 10.64.0.0/10, so a cluster Network of 10.0.0.0/8 whose own
 * nodes lease from 10.0.0.0 never meets them), public IP 172.30.&lt;i/256&gt;.&lt;i%256&gt; (no namespace has it:
 * nothing is ever sent there) and a VtepMAC of its own. The same peer in every store: a lease file, an etcd key, a Node.
 */
public final class FakePeers {
    private FakePeers() {}

    public static Ipv4Cidr subnet(int i) {
        return Ipv4Cidr.parse("10." + (64 + i / 256) + "." + (i % 256) + ".0/24");
    }

    public static Ipv4Address publicIp(int i) {
        return Ipv4Address.parse("172.30." + (i / 256) + "." + (i % 256));
    }

    public static MacAddress vtepMac(int i) {
        return MacAddress.parse(String.format("0a:58:%02x:%02x:%02x:%02x", (i >> 24) & 0xff, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff));
    }

    public static LeaseRecord record(int i) {
        return LeaseRecord.vxlan(publicIp(i), 1, vtepMac(i));
    }
}
