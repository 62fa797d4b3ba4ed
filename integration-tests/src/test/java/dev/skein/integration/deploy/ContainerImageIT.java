package dev.skein.integration.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The image: the Dockerfile and the Jib profile (app/pom.xml) describe the same container (JVM
 * flags, user, ports, environment), and the image Jib built (app/target/jib-image.tar, from
 * {@code mvn -pl app -am -Pimage -Djib.from.image=scratch -DskipTests package}: the layers without
 * the JRE base, which cannot be pulled here) has that entry point, user, ports and the jar and its
 * libraries in its layers. Where no such tar was built, that part is skipped with a message.
 */
@Tag("deploy")
class ContainerImageIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theDockerfileAndTheJibProfileDescribeTheSameContainer() {
        String dockerfile = DeployFiles.read(DeployFiles.root().resolve("Dockerfile"));
        String pom = DeployFiles.read(DeployFiles.root().resolve("app/pom.xml"));
        List<String> entrypoint = entrypoint(dockerfile);
        assertThat(entrypoint.getFirst()).isEqualTo("java");
        assertThat(entrypoint.getLast()).isEqualTo("dev.skein.app.Skein");
        List<String> dockerFlags = entrypoint.subList(1, entrypoint.indexOf("-cp"));
        assertThat(dockerFlags).contains("-XX:MaxRAMPercentage=60", "-XX:+ExitOnOutOfMemoryError");
        assertThat(all(pom, "<jvmFlag>(.*?)</jvmFlag>")).isEqualTo(dockerFlags);
        assertThat(all(pom, "<mainClass>(.*?)</mainClass>")).containsExactly("dev.skein.app.Skein");

        assertThat(dockerfile).contains("ARG SKEIN_UID=10001", "USER ${SKEIN_UID}:${SKEIN_UID}", "EXPOSE 8080 8081");
        assertThat(all(pom, "<user>(.*?)</user>")).containsExactly("10001:10001");
        assertThat(all(pom, "<port>(.*?)</port>")).containsExactly("8080", "8081");
        assertThat(dockerfile)
                .contains("SKEIN_DATA_DIR=/var/lib/skein", "SKEIN_HTTP_HOST=0.0.0.0", "SKEIN_HTTP_PROBE_PORT=8081");
        assertThat(pom)
                .contains(
                        "<SKEIN_DATA_DIR>/var/lib/skein</SKEIN_DATA_DIR>",
                        "<SKEIN_HTTP_HOST>0.0.0.0</SKEIN_HTTP_HOST>",
                        "<SKEIN_HTTP_PROBE_PORT>8081</SKEIN_HTTP_PROBE_PORT>");
        // Multi-stage: a JDK and Maven to build, a JRE to run.
        assertThat(all(dockerfile, "(?m)^FROM (\\S+)"))
                .containsExactly("maven:3.9-eclipse-temurin-25", "eclipse-temurin:25-jre");
    }

    @Test
    void theJibImageHasTheEntryPointUserPortsAndLayers() throws IOException {
        Path tar = DeployFiles.root().resolve("app/target/jib-image.tar");
        Assumptions.assumeTrue(
                Files.isRegularFile(tar),
                "no " + tar + ": build it with mvn -B -pl app -am -Pimage -Djib.from.image=scratch -DskipTests"
                        + " package (the JRE base image cannot be pulled here; scratch builds Skein's layers alone)");
        Map<String, byte[]> files = new HashMap<>();
        List<String> layerPaths = new ArrayList<>();
        try (TarArchiveInputStream image = new TarArchiveInputStream(Files.newInputStream(tar))) {
            for (TarArchiveEntry entry = image.getNextEntry(); entry != null; entry = image.getNextEntry()) {
                if (entry.getName().endsWith(".json")) {
                    files.put(entry.getName(), image.readAllBytes());
                } else if (entry.getName().endsWith(".tar.gz")) {
                    layerPaths.addAll(paths(image));
                }
            }
        }
        JsonNode manifest = JSON.readTree(files.get("manifest.json")).get(0);
        JsonNode config =
                JSON.readTree(files.get(manifest.get("Config").asText())).get("config");
        List<String> entrypoint = new ArrayList<>();
        config.get("Entrypoint").forEach(e -> entrypoint.add(e.asText()));
        assertThat(entrypoint).startsWith("java").endsWith("dev.skein.app.Skein");
        assertThat(entrypoint).contains("-XX:MaxRAMPercentage=60", "--enable-native-access=ALL-UNNAMED");
        assertThat(config.get("User").asText()).isEqualTo("10001:10001");
        assertThat(config.get("ExposedPorts").fieldNames())
                .toIterable()
                .containsExactlyInAnyOrder("8080/tcp", "8081/tcp");
        assertThat(config.get("WorkingDir").asText()).isEqualTo("/var/lib/skein");
        assertThat(config.get("Volumes").has("/var/lib/skein")).isTrue();
        // Libraries, resources, classes and the class path file: each a layer of its own, so that a
        // change of Skein's code ships a few hundred kilobytes, not the 200 MB of libraries.
        assertThat(manifest.get("Layers").size()).isGreaterThanOrEqualTo(4);
        assertThat(layerPaths)
                .anyMatch(p -> p.matches("opt/skein/libs/kafka-streams-.*\\.jar"))
                .anyMatch(p -> p.equals("opt/skein/resources/reference.conf"))
                .anyMatch(p -> p.equals("opt/skein/classes/dev/skein/app/Skein.class"))
                .anyMatch(p -> p.equals("opt/skein/jib-classpath-file"));
    }

    private static List<String> paths(InputStream gzippedLayer) throws IOException {
        List<String> paths = new ArrayList<>();
        // Not closed: closing would close the image's stream.
        TarArchiveInputStream layer = new TarArchiveInputStream(new GZIPInputStream(gzippedLayer));
        for (TarArchiveEntry entry = layer.getNextEntry(); entry != null; entry = layer.getNextEntry()) {
            paths.add(entry.getName());
        }
        return paths;
    }

    private static List<String> entrypoint(String dockerfile) {
        String joined = dockerfile.replace("\\\n", " ");
        Matcher matcher = Pattern.compile("(?m)^ENTRYPOINT (\\[.*\\])$").matcher(joined);
        assertThat(matcher.find())
                .as("the Dockerfile has an ENTRYPOINT in exec form")
                .isTrue();
        try {
            List<String> args = new ArrayList<>();
            JSON.readTree(matcher.group(1)).forEach(a -> args.add(a.asText()));
            return args;
        } catch (IOException e) {
            throw new AssertionError("ENTRYPOINT is not a JSON array: " + matcher.group(1), e);
        }
    }

    private static List<String> all(String text, String regex) {
        List<String> found = new ArrayList<>();
        Matcher matcher = Pattern.compile(regex).matcher(text);
        while (matcher.find()) {
            found.add(matcher.group(1).trim());
        }
        return found;
    }
}
