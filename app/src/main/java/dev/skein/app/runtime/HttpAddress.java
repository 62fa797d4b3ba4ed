package dev.skein.app.runtime;

import dev.skein.app.config.SkeinConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Where this instance's HTTP API listens, and the address it gives the other instances. */
final class HttpAddress {

    private HttpAddress() {}

    /** {@code skein.cluster.advertised-host}, else the listen host, else (a wildcard) this machine's name. */
    static String advertisedHost(SkeinConfig config) throws IOException {
        if (config.advertisedHost().isPresent()) {
            return config.advertisedHost().get();
        }
        String host = config.httpHost();
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")
                ? InetAddress.getLocalHost().getCanonicalHostName()
                : host;
    }

    /**
     * Binds {@code port} on {@code host} (0: a free port, the system's choice) and holds it until
     * closed, just before the ingress listens: the embedded broker chooses its own ports meanwhile,
     * and a port chosen and given back at once can be the system's next choice. A port that cannot
     * be bound fails the start at once, with the ingress's own words, before a broker or a stream
     * thread is started for nothing. Another process may still take the port between the close and
     * the listen: unlikely, and then the start fails saying so.
     */
    static HeldPort hold(String host, int port) throws IOException {
        try {
            ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(host));
            return new HeldPort(socket.getLocalPort(), socket);
        } catch (IOException e) {
            if (port == 0) {
                throw e;
            }
            throw new IllegalStateException(
                    "ingress cannot listen on " + host + ":" + port + ": " + e.getMessage()
                            + " (set skein.http.port, --port or SKEIN_HTTP_PORT to a free port, or 0 for any)",
                    e);
        }
    }

    /** The HTTP port, bound by this process until closed. */
    record HeldPort(int port, ServerSocket socket) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }
}
