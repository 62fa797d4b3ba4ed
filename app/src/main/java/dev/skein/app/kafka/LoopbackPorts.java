package dev.skein.app.kafka;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Chooses distinct ports on {@value BrokerProperties#HOST}, where every local broker listens. Each
 * chosen port stays bound until {@link #close()}: a port given back at once can be handed out again
 * by the operating system to the next request for any port, and a broker whose client and
 * controller listeners got the same port cannot start. Choose every port of one start with one
 * instance, then close it just before the broker binds them.
 */
final class LoopbackPorts implements AutoCloseable {

    private final List<ServerSocket> held = new ArrayList<>();

    /** A port nobody listens on now (the operating system's choice), distinct from those chosen before. */
    int free() throws IOException {
        return hold(0);
    }

    /**
     * {@code preferred} when it is a port number that can be bound now (held from then on like
     * the others), otherwise {@link #free()}. Takes the text of a recorded port, which may be
     * anything a file held.
     */
    int preferredOrFree(String preferred) throws IOException {
        if (preferred != null && preferred.strip().matches("\\d{1,5}")) {
            int port = Integer.parseInt(preferred.strip());
            if (port > 0 && port <= 65_535) {
                try {
                    return hold(port);
                } catch (IOException e) {
                    // Taken by someone else (or by an earlier choice of this instance): another port.
                }
            }
        }
        return free();
    }

    /** Binds {@code port} (0: any) and keeps it bound until {@link #close()}; the port bound. */
    private int hold(int port) throws IOException {
        ServerSocket socket = new ServerSocket();
        try {
            socket.bind(new InetSocketAddress(BrokerProperties.HOST, port));
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        held.add(socket);
        return socket.getLocalPort();
    }

    /** Lets the chosen ports go, for the broker to bind. */
    @Override
    public void close() {
        held.forEach(LoopbackPorts::closeQuietly);
        held.clear();
    }

    private static void closeQuietly(ServerSocket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Already closed: nothing is held.
        }
    }
}
