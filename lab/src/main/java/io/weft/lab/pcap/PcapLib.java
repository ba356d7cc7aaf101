package io.weft.lab.pcap;

import java.nio.file.Files;
import java.nio.file.Path;

/** Points pcap4j at Debian's libpcap when only the versioned library (libpcap0.8, no -dev package) is installed. */
public final class PcapLib {
    private PcapLib() {}

    public static void configure() {
        if (System.getProperty("org.pcap4j.core.pcapLibName") != null) return;
        for (String p : new String[] {"/usr/lib/x86_64-linux-gnu/libpcap.so", "/usr/lib/x86_64-linux-gnu/libpcap.so.0.8",
                "/usr/lib/aarch64-linux-gnu/libpcap.so.0.8", "/usr/lib/libpcap.so.1"}) {
            if (Files.exists(Path.of(p))) {
                System.setProperty("org.pcap4j.core.pcapLibName", p);
                return;
            }
        }
    }
}
