package dev.skein.app.kafka;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Ports on {@value BrokerProperties#HOST}, where every local broker listens. */
final class LoopbackPorts {

    private LoopbackPorts() {}

    /** A port nobody listens on now (the operating system's choice). */
    static int free() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(BrokerProperties.HOST, 0));
            return socket.getLocalPort();
        }
    }

    /** Whether {@code port} can be bound now. */
    static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(BrokerProperties.HOST, port));
            return true;
        } catch (IOException e) {
            // Taken by someone else: the caller picks another port.
            return false;
        }
    }
}
