package dev.skein.app.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigUtil;
import dev.skein.ingress.TenantQuotas;
import dev.skein.ingress.TenantQuotas.Limits;
import dev.skein.schemas.SessionAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads {@code skein.quotas}: the default limits, and {@code by-tenant} entries that override
 * some of them for one tenant (a key left out there takes the default).
 */
final class QuotasReader {

    private static final String PATH = "skein.quotas";
    private static final String[] KEYS = {"turns-per-minute", "active-turns", "queued-turns", "streams"};

    private QuotasReader() {}

    static TenantQuotas read(Config config) {
        Config quotas = config.getConfig(PATH);
        Limits defaults = limits(quotas, null, PATH);
        Map<String, Limits> byTenant = new LinkedHashMap<>();
        Config tenants = quotas.getConfig("by-tenant");
        for (String tenant : tenants.root().keySet()) {
            String path = PATH + ".by-tenant." + tenant;
            if (!SessionAddress.isValidPart(tenant)) {
                throw new ConfigException.BadValue(
                        path, "'" + tenant + "' is not a tenant name (1 to 128 of A-Z a-z 0-9 . _ -)");
            }
            Config entry;
            try {
                entry = tenants.getConfig(ConfigUtil.quoteString(tenant));
            } catch (ConfigException.WrongType e) {
                throw new ConfigException.BadValue(path, "must be an object such as { turns-per-minute = 60 }");
            }
            for (String key : entry.root().keySet()) {
                if (!java.util.List.of(KEYS).contains(key)) {
                    throw new ConfigException.BadValue(
                            path + "." + key, "is not a quota; the quotas are " + String.join(", ", KEYS));
                }
            }
            byTenant.put(tenant, limits(entry, defaults, path));
        }
        return new TenantQuotas(defaults, byTenant);
    }

    private static Limits limits(Config c, Limits fallback, String path) {
        int[] values = new int[KEYS.length];
        for (int i = 0; i < KEYS.length; i++) {
            if (!c.hasPath(KEYS[i])) {
                values[i] = fallback == null
                        ? 0
                        : switch (i) {
                            case 0 -> fallback.turnsPerMinute();
                            case 1 -> fallback.activeTurns();
                            case 2 -> fallback.queuedTurns();
                            default -> fallback.streams();
                        };
                continue;
            }
            int value = c.getInt(KEYS[i]);
            if (value < 0) {
                throw new ConfigException.BadValue(
                        path + "." + KEYS[i], "must be 0 (no limit) or positive, was " + value);
            }
            values[i] = value;
        }
        return new Limits(values[0], values[1], values[2], values[3]);
    }
}
