package dev.skein.app.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import dev.skein.ingress.IngressConfig;
import dev.skein.ingress.auth.AuthConfig;
import dev.skein.ingress.auth.JwtSettings;
import dev.skein.ingress.auth.Role;
import dev.skein.ingress.auth.StoredKey;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.TenantAccess;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Reads {@code skein.auth}, {@code skein.http.tls} and {@code skein.tenants}, naming the key of any bad value. */
final class AuthReader {

    private static final String AUTH = "skein.auth";
    private static final String JWT = AUTH + ".jwt";
    private static final String TENANTS = "skein.tenants";
    private static final Pattern TOOL_NAME = Pattern.compile("[a-z][a-z0-9_]{0,63}");

    private AuthReader() {}

    static AuthConfig auth(Config config) {
        List<StoredKey> keys = new ArrayList<>();
        List<? extends Config> entries = config.getConfigList(AUTH + ".api-keys");
        for (int i = 0; i < entries.size(); i++) {
            Config entry = entries.get(i);
            String where = AUTH + ".api-keys[" + i + "]";
            try {
                keys.add(new StoredKey(
                        entry.getString("id"),
                        entry.getString("sha256"),
                        entry.hasPath("tenant") ? entry.getString("tenant") : null,
                        Role.parseAll(entry.getStringList("roles")),
                        entry.hasPath("description") ? entry.getString("description") : null));
            } catch (ConfigException | IllegalArgumentException e) {
                throw new ConfigException.BadValue(where, e.getMessage());
            }
        }
        try {
            return new AuthConfig(
                    config.getBoolean(AUTH + ".enabled"),
                    config.getBoolean(AUTH + ".allow-unauthenticated"),
                    keys,
                    config.getBoolean(AUTH + ".api-keys-topic"),
                    config.getBoolean(JWT + ".enabled") ? jwt(config) : null);
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue(AUTH, e.getMessage());
        }
    }

    private static JwtSettings jwt(Config config) {
        String file = config.getString(JWT + ".jwks-file");
        String url = config.getString(JWT + ".jwks-url");
        URI jwksUrl = null;
        if (!url.isBlank()) {
            jwksUrl = URI.create(url.trim());
            if (!List.of("https", "http").contains(String.valueOf(jwksUrl.getScheme()))) {
                throw new ConfigException.BadValue(JWT + ".jwks-url", "must be an http(s) URL, got " + url);
            }
        }
        return new JwtSettings(
                config.getString(JWT + ".issuer"),
                config.getStringList(JWT + ".audiences"),
                config.getString(JWT + ".hs256-secret"),
                file.isBlank() ? null : Path.of(file.trim()),
                jwksUrl,
                config.getDuration(JWT + ".jwks-refresh"),
                config.getString(JWT + ".tenant-claim"),
                config.getString(JWT + ".roles-claim"),
                config.getDuration(JWT + ".leeway"));
    }

    /** Null for plain HTTP (both paths empty). */
    static IngressConfig.Tls tls(Config config) {
        String cert = config.getString("skein.http.tls.cert-path");
        String key = config.getString("skein.http.tls.key-path");
        if (cert.isBlank() && key.isBlank()) {
            return null;
        }
        try {
            return new IngressConfig.Tls(
                    cert.isBlank() ? null : Path.of(cert.trim()), key.isBlank() ? null : Path.of(key.trim()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue("skein.http.tls", e.getMessage());
        }
    }

    /** {@code skein.tenants}: by tenant (or {@code "*"} for the others), its {@code agents} and {@code tools}. */
    static TenantAccess tenants(Config config) {
        ConfigObject tenants = config.getObject(TENANTS);
        Map<String, TenantAccess.Rules> byTenant = new LinkedHashMap<>();
        TenantAccess.Rules otherwise = TenantAccess.Rules.EVERYTHING;
        for (Map.Entry<String, ConfigValue> entry : tenants.entrySet()) {
            String tenant = entry.getKey();
            String where = TENANTS + "." + ConfigUtil.joinPath(tenant);
            if (!tenant.equals(TenantAccess.EVERY) && !SessionAddress.isValidPart(tenant)) {
                throw new ConfigException.BadValue(
                        where, "'" + tenant + "' is not a tenant ([A-Za-z0-9._-]{1,128}) or \"*\" (every other)");
            }
            if (!(entry.getValue() instanceof ConfigObject rules)) {
                throw new ConfigException.BadValue(where, "must be an object { agents = [...], tools = [...] }");
            }
            for (String key : rules.keySet()) {
                if (!List.of("agents", "tools").contains(key)) {
                    throw new ConfigException.BadValue(where + "." + key, "unknown key; expected agents or tools");
                }
            }
            Config block = rules.toConfig();
            TenantAccess.Rules parsed = new TenantAccess.Rules(
                    names(block, "agents", where, null), names(block, "tools", where, TOOL_NAME));
            if (tenant.equals(TenantAccess.EVERY)) {
                otherwise = parsed;
            } else {
                byTenant.put(tenant, parsed);
            }
        }
        return new TenantAccess(byTenant, otherwise);
    }

    /** A list of names, or every one when the key is absent. */
    private static Set<String> names(Config block, String key, String where, Pattern pattern) {
        if (!block.hasPath(key)) {
            return Set.of(TenantAccess.EVERY);
        }
        List<String> values;
        try {
            values = block.getStringList(key);
        } catch (ConfigException e) {
            throw new ConfigException.BadValue(where + "." + key, "must be a list of names, or [\"*\"] for every one");
        }
        Set<String> names = new LinkedHashSet<>();
        for (String value : values) {
            if (value.isBlank()
                    || (pattern != null
                            && !value.equals(TenantAccess.EVERY)
                            && !pattern.matcher(value).matches())) {
                throw new ConfigException.BadValue(where + "." + key, "'" + value + "' is not a valid name");
            }
            names.add(value);
        }
        return names;
    }
}
