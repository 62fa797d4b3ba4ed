package dev.skein.workers;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The name of the machine a worker runs on, for its default id and its heartbeats. */
final class LocalHost {

    private static final Logger log = LoggerFactory.getLogger(LocalHost.class);

    private LocalHost() {}

    static String name() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            // Containers without a resolvable hostname: the environment usually still names the host.
            String fromEnv = System.getenv("HOSTNAME");
            log.debug("Cannot resolve the local host name ({}); using {}", e.getMessage(), fromEnv);
            return fromEnv == null || fromEnv.isBlank() ? "localhost" : fromEnv;
        }
    }
}
