package dev.skein.app.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * How Skein's configuration is layered: {@code reference.conf} &lt; a file &lt; environment
 * variables &lt; command-line flags. What the keys mean is {@link SkeinConfig}'s.
 */
final class ConfigLayers {

    private ConfigLayers() {}

    /**
     * The layers, merged and resolved.
     *
     * @throws IllegalArgumentException when the file cannot be read, or a layer is invalid
     *     ("Invalid configuration: ...")
     * @throws ConfigException when the file cannot be parsed (its message names the file and line)
     */
    static Config resolve(Optional<Path> file, Map<String, ?> flags, Map<String, String> environment) {
        Config reference = ConfigFactory.defaultReference();
        Config fromFile = ConfigFactory.empty();
        if (file.isPresent()) {
            if (!Files.isReadable(file.get())) {
                throw new IllegalArgumentException("configuration file " + file.get() + " cannot be read");
            }
            fromFile = ConfigFactory.parseFile(
                    file.get().toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
        }
        try {
            return ConfigFactory.parseMap(flags, "command-line flags")
                    .withFallback(fromEnvironment(reference, environment))
                    .withFallback(fromFile)
                    .withFallback(reference)
                    .resolve();
        } catch (ConfigException e) {
            throw new IllegalArgumentException("Invalid configuration: " + e.getMessage(), e);
        }
    }

    /** The environment variable of a key: skein.http.port is SKEIN_HTTP_PORT. */
    static String environmentVariableOf(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** Every key with a value, empty objects included (they may be filled from the environment). */
    private static void collectLeaves(String path, ConfigObject object, Map<String, ConfigValue> leaves) {
        for (Map.Entry<String, ConfigValue> entry : object.entrySet()) {
            String key = path + "." + entry.getKey();
            if (entry.getValue() instanceof ConfigObject child && !child.isEmpty()) {
                // An object can be set whole (SKEIN_AGENTS_DEFINITIONS='{...}') or key by key.
                leaves.put(key, child);
                collectLeaves(key, child, leaves);
            } else {
                leaves.put(key, entry.getValue());
            }
        }
    }

    /** Only keys that {@code reference.conf} has can be set from the environment: it names them all. */
    private static Config fromEnvironment(Config reference, Map<String, String> environment) {
        Map<String, Object> values = new HashMap<>();
        Config layer = ConfigFactory.empty();
        Map<String, ConfigValue> leaves = new LinkedHashMap<>();
        collectLeaves("skein", reference.getObject("skein"), leaves);
        for (Map.Entry<String, ConfigValue> entry : leaves.entrySet()) {
            String key = entry.getKey();
            String value = environment.get(environmentVariableOf(key));
            if (value == null) {
                continue;
            }
            ConfigValueType type = entry.getValue().valueType();
            if (type == ConfigValueType.LIST || type == ConfigValueType.OBJECT) {
                // Lists and objects are written in HOCON, e.g. SKEIN_WORKER_TIERS='[small, large]'.
                layer = layer.withFallback(ConfigFactory.parseString(
                        key + " = " + value,
                        ConfigParseOptions.defaults()
                                .setOriginDescription("environment variable " + environmentVariableOf(key))));
            } else {
                // Strings as they are (URLs hold '//', a comment in HOCON); numbers, booleans and
                // durations convert from strings when read.
                values.put(key, value);
            }
        }
        return ConfigFactory.parseMap(values, "environment variables").withFallback(layer);
    }
}
