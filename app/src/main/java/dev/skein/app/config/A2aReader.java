package dev.skein.app.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.skein.ingress.A2aPushSettings;
import java.nio.file.Path;
import java.util.Optional;

/** The A2A server's push notification and card signing settings ({@code skein.a2a.push}, {@code skein.a2a.signing-key-path}). */
final class A2aReader {

    private A2aReader() {}

    static A2aPushSettings push(Config config) {
        Config push = config.getConfig("skein.a2a.push");
        try {
            return new A2aPushSettings(
                    push.getBoolean("enabled"),
                    push.getBoolean("allow-private-addresses"),
                    push.getDuration("connect-timeout"),
                    push.getDuration("request-timeout"),
                    push.getInt("max-attempts"),
                    push.getDuration("initial-backoff"),
                    push.getDuration("poll-interval"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue("skein.a2a.push", e.getMessage());
        }
    }

    static Optional<Path> signingKey(Config config) {
        String path = config.getString("skein.a2a.signing-key-path").trim();
        return path.isEmpty() ? Optional.empty() : Optional.of(Path.of(path));
    }
}
