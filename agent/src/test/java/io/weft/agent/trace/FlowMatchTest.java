package io.weft.agent.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weft.core.net.Ipv4Address;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Which way a captured frame carries the flow, plain and inside VXLAN, small and full-size. */
class FlowMatchTest {
    static final int A = Ipv4Address.parse("10.244.1.5").value();
    static final int B = Ipv4Address.parse("10.244.2.7").value();

    static byte[] ipFrame(int src, int dst, int totalLength) {
        ByteBuffer b = ByteBuffer.allocate(14 + 28);
        b.put(new byte[12]).putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) totalLength).putInt(0).put((byte) 64).put((byte) 1).putShort((short) 0);
        b.putInt(src).putInt(dst);
        b.put(new byte[8]);
        return b.array();
    }

    static byte[] vxlan(byte[] inner) {
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + 8 + 8 + inner.length);
        b.put(new byte[12]).putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + 8 + 8 + inner.length)).putInt(0).put((byte) 64).put((byte) 17)
                .putShort((short) 0).putInt(0xac1f0001).putInt(0xac1f0002);
        b.putShort((short) 40000).putShort((short) 8472).putShort((short) (8 + 8 + inner.length)).putShort((short) 0);
        b.putInt(0x08000000).putInt(1 << 8);
        b.put(inner);
        return b.array();
    }

    @Test
    void plainFrames() {
        FlowMatch m = new FlowMatch(A, B);
        byte[] req = ipFrame(A, B, 84);
        assertEquals(FlowMatch.FORWARD, m.classify(req, req.length, false));
        byte[] rep = ipFrame(B, A, 1450);
        assertEquals(FlowMatch.REVERSE | FlowMatch.FULL_SIZE, m.classify(rep, rep.length, false));
        byte[] other = ipFrame(A, A + 1, 84);
        assertEquals(FlowMatch.NONE, m.classify(other, other.length, false));
        assertEquals(FlowMatch.NONE, m.classify(req, 20, false), "cut short");
    }

    @Test
    void insideVxlan() {
        FlowMatch m = new FlowMatch(A, B);
        byte[] d = vxlan(ipFrame(A, B, 1450));
        assertEquals(FlowMatch.FORWARD | FlowMatch.FULL_SIZE, m.classify(d, d.length, true));
        byte[] plain = ipFrame(A, B, 84);
        assertEquals(FlowMatch.NONE, m.classify(plain, plain.length, true), "not UDP: not the flow's datagram");
    }
}
