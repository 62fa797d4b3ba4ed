package dev.skein.schemas.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaConnectionTest {

    @Test
    void everyClientGetsTheServersAndTheSameSettings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("security.protocol", "SASL_SSL");
        settings.put("sasl.mechanism", "SCRAM-SHA-512");
        KafkaConnection connection = new KafkaConnection("k1:9093,k2:9093", settings);

        assertThat(connection.clientConfig())
                .containsExactly(
                        Map.entry("bootstrap.servers", "k1:9093,k2:9093"),
                        Map.entry("security.protocol", "SASL_SSL"),
                        Map.entry("sasl.mechanism", "SCRAM-SHA-512"));
        assertThat(connection.properties()).containsEntry("bootstrap.servers", "k1:9093,k2:9093");
        assertThat(connection.secured()).isTrue();
        assertThat(connection.withBootstrapServers("k3:9093").clientConfig())
                .containsEntry("bootstrap.servers", "k3:9093")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512");
        // A client may change its own copy without touching the connection's.
        connection.clientConfig().put("security.protocol", "PLAINTEXT");
        assertThat(connection.settings()).containsEntry("security.protocol", "SASL_SSL");
    }

    @Test
    void anUnsecuredConnectionIsTheServersAlone() {
        assertThat(KafkaConnection.to("localhost:9092").clientConfig())
                .containsExactly(Map.entry("bootstrap.servers", "localhost:9092"));
        assertThat(KafkaConnection.to("localhost:9092").secured()).isFalse();
    }

    @Test
    void secretsAreHiddenWhenShown() {
        KafkaConnection connection = new KafkaConnection(
                "k1:9093",
                Map.of(
                        "sasl.jaas.config", "x required username=\"u\" password=\"hunter2\";",
                        "ssl.truststore.password", "hunter3",
                        "ssl.keystore.key", "-----BEGIN PRIVATE KEY-----hunter4",
                        "sasl.oauthbearer.client.credentials.client.secret", "hunter5",
                        "custom.api.password", "hunter6",
                        "ssl.truststore.location", "/etc/kafka/ca.pem"));

        assertThat(connection.toString())
                .contains("k1:9093", "/etc/kafka/ca.pem", "[hidden]")
                .doesNotContain("hunter");
    }

    @Test
    void theServersAreTheConnectionsOwnField() {
        assertThatThrownBy(() -> new KafkaConnection(" ", Map.of())).hasMessageContaining("bootstrap servers");
        assertThatThrownBy(() -> new KafkaConnection("k:1", Map.of("bootstrap.servers", "other:1")))
                .hasMessageContaining("bootstrap.servers");
    }
}
