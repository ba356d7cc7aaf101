package io.weft.lab.traffic;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;

/** Holds a UDP port inside a test namespace, as a foreign process would; prints "bound" once it has it. */
public final class PortHolder {
    public static void main(String[] args) throws Exception {
        try (DatagramSocket held = new DatagramSocket(new InetSocketAddress("0.0.0.0", Integer.parseInt(args[0])))) {
            assert held.isBound();
            System.out.print("bound");
            System.out.flush();
            Thread.sleep(120_000);
        }
    }
}
