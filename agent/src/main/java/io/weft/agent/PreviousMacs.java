package io.weft.agent;

import io.weft.agent.subnet.Lease;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.MacAddress;
import java.util.List;

/**
 * The VtepMACs this node published in its last lease, per family ({@code flannel.N}'s and {@code flannel-v6.N}'s),
 * null when unknown: a device made again gets the MAC peers already hold for it.
 */
public record PreviousMacs(MacAddress v4, MacAddress v6) {

    /** Found among {@code known} leases by this node's public address of each family. */
    static PreviousMacs of(List<Lease> known, Ipv4Address publicIp, Ipv6Address publicIpv6) {
        MacAddress v4 = null;
        MacAddress v6 = null;
        for (Lease l : known) {
            if (v4 == null && publicIp != null && publicIp.equals(l.attrs().publicIp())) v4 = l.attrs().vtepMac();
            if (v6 == null && publicIpv6 != null && publicIpv6.equals(l.attrs().publicIpv6())) v6 = l.attrs().vtepMacV6();
        }
        return new PreviousMacs(v4, v6);
    }
}
