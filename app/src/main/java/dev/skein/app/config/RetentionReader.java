package dev.skein.app.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import dev.skein.schemas.SessionAddress;
import dev.skein.topologies.session.SessionRetention;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads {@code skein.session.retention} (docs/retention.md), naming the key of any bad value. */
final class RetentionReader {

    private static final String RETENTION = "skein.session.retention";

    private RetentionReader() {}

    static SessionRetention read(Config config) {
        Map<String, Duration> byTenant = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigValue> entry :
                config.getObject(RETENTION + ".by-tenant").entrySet()) {
            String key = RETENTION + ".by-tenant." + ConfigUtil.joinPath(entry.getKey());
            if (!SessionAddress.isValidPart(entry.getKey())) {
                throw new ConfigException.BadValue(
                        key, "'" + entry.getKey() + "' is not a tenant ([A-Za-z0-9._-]{1,128})");
            }
            byTenant.put(entry.getKey(), ttl(config, key));
        }
        try {
            return new SessionRetention(
                    ttl(config, RETENTION + ".idle-ttl"),
                    byTenant,
                    config.getDuration(RETENTION + ".check-interval"),
                    config.getInt(RETENTION + ".max-per-check"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue(RETENTION, e.getMessage());
        }
    }

    /** A time to live: a duration, or {@code off} (and {@code 0}) for none. */
    private static Duration ttl(Config config, String key) {
        if ("off".equalsIgnoreCase(config.getValue(key).unwrapped().toString().trim())) {
            return Duration.ZERO;
        }
        Duration ttl = config.getDuration(key);
        if (ttl.isNegative()) {
            throw new ConfigException.BadValue(key, "must be off, 0 or a positive duration such as 30d, not " + ttl);
        }
        return ttl;
    }
}
