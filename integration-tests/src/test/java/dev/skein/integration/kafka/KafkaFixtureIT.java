package dev.skein.integration.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.integration.fixtures.KafkaFixture;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("kafka")
class KafkaFixtureIT {

    @Test
    void oneBrokerPerJvmCreatesTopicsWithTheirPartitions() throws Exception {
        String bootstrap = KafkaFixture.bootstrapServers();
        assertThat(KafkaFixture.bootstrapServers())
                .as("started once, then reused")
                .isEqualTo(bootstrap);

        String topic = KafkaFixture.uniqueName("fixture");
        KafkaFixture.createTopics(bootstrap, 3, topic);

        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            assertThat(admin.describeTopics(List.of(topic))
                            .allTopicNames()
                            .get(30, TimeUnit.SECONDS)
                            .get(topic)
                            .partitions())
                    .hasSize(3);
        }
        assertThatThrownBy(() -> KafkaFixture.createTopics(bootstrap, 1, topic))
                .hasMessageContaining(topic)
                .hasRootCauseInstanceOf(TopicExistsException.class);
    }

    @Test
    void uniqueNamesKeepTheirBaseAndDiffer() {
        String first = KafkaFixture.uniqueName("orders");
        assertThat(first).startsWith("orders-").matches("[a-zA-Z0-9._-]+");
        assertThat(KafkaFixture.uniqueName("orders")).isNotEqualTo(first);
    }
}
