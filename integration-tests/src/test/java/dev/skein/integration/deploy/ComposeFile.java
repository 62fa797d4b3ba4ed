package dev.skein.integration.deploy;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** compose.yaml, merge keys resolved, and what the tests read of its Skein services. */
final class ComposeFile {

    private ComposeFile() {}

    static Path path() {
        return DeployFiles.root().resolve("compose.yaml");
    }

    static Map<String, Object> read() {
        return DeployFiles.documents(path()).getFirst();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> services(Map<String, Object> compose) {
        return (Map<String, Map<String, Object>>) compose.get("services");
    }

    /** The services that run the Skein image. */
    static Map<String, Map<String, Object>> skeinServices() {
        Map<String, Map<String, Object>> skein = new LinkedHashMap<>();
        services(read()).forEach((name, definition) -> {
            if (String.valueOf(definition.get("image")).startsWith("skein:")) {
                skein.put(name, definition);
            }
        });
        return skein;
    }

    @SuppressWarnings("unchecked")
    static Map<String, String> environment(Map<String, Object> service) {
        Map<String, String> env = new LinkedHashMap<>();
        ((Map<String, Object>) service.getOrDefault("environment", Map.of()))
                .forEach((k, v) -> env.put(k, String.valueOf(v)));
        return env;
    }

    @SuppressWarnings("unchecked")
    static List<String> command(Map<String, Object> service) {
        return (List<String>) service.get("command");
    }

    /** The tier after --tier in the command, for a worker. */
    static Optional<String> tierOf(Map<String, Object> service) {
        List<String> command = command(service);
        int at = command.indexOf("--tier");
        return at < 0 ? Optional.empty() : Optional.of(command.get(at + 1));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> limits(Map<String, Object> service) {
        Map<String, Object> deploy = (Map<String, Object>) service.get("deploy");
        Map<String, Object> resources = (Map<String, Object>) deploy.get("resources");
        return (Map<String, Object>) resources.get("limits");
    }

    @SuppressWarnings("unchecked")
    static String healthcheck(Map<String, Object> service) {
        Map<String, Object> check = (Map<String, Object>) service.get("healthcheck");
        return String.join(" ", (List<String>) check.get("test"));
    }
}
