package dev.skein.app.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.skein.app.tracing.TracingSettings;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads {@code skein.tracing}, checked here so that a bad value stops the node at start naming its key. */
final class TracingReader {

    private static final String PATH = "skein.tracing";

    private TracingReader() {}

    static TracingSettings read(Config config) {
        Config tracing = config.getConfig(PATH);
        String endpoint = tracing.getString("endpoint");
        try {
            URI uri = new URI(endpoint);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new ConfigException.BadValue(
                        PATH + ".endpoint", "must be an http or https URL (OTLP/HTTP), got '" + endpoint + "'");
            }
        } catch (URISyntaxException e) {
            throw new ConfigException.BadValue(PATH + ".endpoint", "is not a URL: " + e.getMessage());
        }
        double ratio = tracing.getDouble("sampler-ratio");
        if (ratio < 0 || ratio > 1) {
            throw new ConfigException.BadValue(PATH + ".sampler-ratio", "must be between 0.0 and 1.0, got " + ratio);
        }
        String service = tracing.getString("service-name");
        if (service.isBlank()) {
            throw new ConfigException.BadValue(PATH + ".service-name", "must not be empty");
        }
        int batch = tracing.getInt("max-export-batch-size");
        if (batch < 1) {
            throw new ConfigException.BadValue(PATH + ".max-export-batch-size", "must be at least 1");
        }
        Config headerConfig = tracing.getConfig("headers");
        Map<String, String> headers = new LinkedHashMap<>();
        headerConfig.root().keySet().forEach(name -> headers.put(name, headerConfig.getString("\"" + name + "\"")));
        return new TracingSettings(
                tracing.getBoolean("enabled"),
                endpoint,
                service,
                ratio,
                tracing.getDuration("export-timeout"),
                tracing.getDuration("schedule-delay"),
                batch,
                headers);
    }
}
