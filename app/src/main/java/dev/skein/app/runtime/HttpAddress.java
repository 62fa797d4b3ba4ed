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

    /** A port free on {@code host} now (another process may take it before it is bound: unlikely, and then the start fails saying so). */
    static int freePort(String host) throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return socket.getLocalPort();
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
