package io.weft.agent.trace;

import io.weft.core.net.Ipv4Address;
import java.util.HexFormat;
import java.util.List;

/**
 * A child JVM for {@link HopCaptureVsTcpdumpTest}, run inside a node's namespace: captures the flow on one interface
 * with {@link HopCapture} for some seconds and prints every frame it kept as hex, one a line.
 * Arguments: IFACE ENCAP(true|false) SRC DST SECONDS.
 */
public final class CaptureFrames {
    public static void main(String[] args) throws Exception {
        HopCapture.Spec spec = new HopCapture.Spec(args[0], Boolean.parseBoolean(args[1]));
        try (HopCapture c = HopCapture.start(List.of(spec), Ipv4Address.parse(args[2]), Ipv4Address.parse(args[3]), 8472, 1000)) {
            NodeTrace.Count opened = c.counts().getFirst();
            if (opened.error() != null) {
                System.out.println("ERROR " + opened.error());
                return;
            }
            System.out.println("ARMED");
            System.out.flush();
            Thread.sleep(Long.parseLong(args[4]) * 1000);
            c.stop();
            for (byte[] f : c.frames(0)) System.out.println("FRAME " + HexFormat.of().formatHex(f));
            System.out.println("DONE " + c.counts().getFirst());
        }
    }
}
