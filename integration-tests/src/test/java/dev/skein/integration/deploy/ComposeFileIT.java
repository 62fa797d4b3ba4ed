package dev.skein.integration.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * compose.yaml validates against the Compose Specification's JSON schema (a copy in
 * src/test/resources/deploy/schemas, with its source), with the GPU worker commented in as well,
 * and has the services, start order and health checks the deployment relies on.
 */
@Tag("deploy")
class ComposeFileIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SOURCE = "https://raw.githubusercontent.com/compose-spec/compose-spec/"
            + "170098ba07d9f53c383a41bfd4c5166b0a4529a6/schema/compose-spec.json";
    private static JsonSchema spec;

    @BeforeAll
    static void loadSchema() throws Exception {
        try (InputStream in = ComposeFileIT.class.getResourceAsStream("/deploy/schemas/compose-spec.json")) {
            ObjectNode schema = (ObjectNode) JSON.readTree(in);
            // Its $id is relative ("compose_spec.json"), which the validator refuses as a base:
            // the absolute address it was copied from (every $ref in it is local).
            schema.put("$id", SOURCE);
            spec = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7).getSchema(schema);
        }
    }

    private static Set<ValidationMessage> validate(String yaml) {
        JsonNode compose = JSON.valueToTree(DeployFiles.documents(yaml).getFirst());
        return spec.validate(compose);
    }

    @Test
    void composeValidatesAgainstTheComposeSpecification() {
        String text = DeployFiles.read(ComposeFile.path());
        assertThat(validate(text)).isEmpty();
    }

    @Test
    void theGpuWorkerValidatesOnceCommentedIn() {
        String text = DeployFiles.read(ComposeFile.path());
        String enabled = text.replaceAll("(?m)^  # (worker-gpu:)", "  $1").replaceAll("(?m)^  #   ", "    ");
        assertThat(enabled).isNotEqualTo(text);
        assertThat(validate(enabled)).isEmpty();
        Map<String, Object> gpu =
                ComposeFile.services(DeployFiles.documents(enabled).getFirst()).get("worker-gpu");
        assertThat(gpu).isNotNull();
        assertThat(ComposeFile.tierOf(gpu)).hasValue("gpu");
        assertThat(String.valueOf(gpu.get("deploy"))).contains("driver=nvidia", "capabilities=[gpu]");
    }

    @Test
    void theSchemaRejectsWhatComposeWouldRefuse() {
        String text = DeployFiles.read(ComposeFile.path());
        assertThat(validate(text.replaceFirst("    restart: unless-stopped", "    restartt: unless-stopped")))
                .isNotEmpty();
        assertThat(validate(text.replaceFirst("condition: service_healthy", "condition: healthy")))
                .isNotEmpty();
    }

    @Test
    void servicesStartInOrderAndEveryOneHasAHealthCheck() {
        Map<String, Map<String, Object>> services = ComposeFile.services(ComposeFile.read());
        assertThat(services.keySet())
                .containsExactlyInAnyOrder(
                        "kafka-1",
                        "kafka-2",
                        "kafka-3",
                        "schema-registry",
                        "core-1",
                        "core-2",
                        "agents",
                        "worker-small",
                        "worker-large");
        services.forEach((name, service) -> assertThat(service).as(name).containsKey("healthcheck"));
        Map<String, Map<String, Object>> skein = ComposeFile.skeinServices();
        assertThat(skein.keySet())
                .containsExactlyInAnyOrder("core-1", "core-2", "agents", "worker-small", "worker-large");
        skein.forEach((name, service) -> {
            @SuppressWarnings("unchecked")
            Map<String, Map<String, String>> after = (Map<String, Map<String, String>>) service.get("depends_on");
            assertThat(after).as(name).containsKeys("kafka-1", "schema-registry");
            after.values().forEach(c -> assertThat(c).containsEntry("condition", "service_healthy"));
            if (!name.equals("core-1")) {
                assertThat(after)
                        .as("%s starts after the first core created the topics", name)
                        .containsKey("core-1");
            }
            assertThat(ComposeFile.environment(service))
                    .containsEntry("SKEIN_SCHEMA_REGISTRY_URL", "http://schema-registry:8081")
                    .containsKey("SKEIN_KAFKA_BOOTSTRAP_SERVERS");
            assertThat(String.valueOf(service.get("volumes")))
                    .contains("./deploy/base/skein.conf:/etc/skein/skein.conf:ro");
        });
        assertThat(ComposeFile.environment(skein.get("core-1")))
                .containsEntry("SKEIN_CLUSTER_ADVERTISED_HOST", "core-1");
        assertThat(ComposeFile.environment(skein.get("core-2")))
                .containsEntry("SKEIN_CLUSTER_ADVERTISED_HOST", "core-2");
        assertThat(services.get("kafka-2")).containsEntry("profiles", List.of("three-brokers"));
    }

    @Test
    void theEnvironmentFilesPickThreeBrokersOrOne() {
        String three = DeployFiles.read(DeployFiles.root().resolve(".env"));
        String one = DeployFiles.read(DeployFiles.root().resolve(".env.single"));
        assertThat(three).contains("COMPOSE_PROFILES=three-brokers", "REPLICAS=3", "MIN_INSYNC=2");
        assertThat(one).contains("COMPOSE_PROFILES=\n", "KAFKA_VOTERS=1@kafka-1:9093", "REPLICAS=1", "MIN_INSYNC=1");
    }
}
