package dev.skein.integration.security;

import static dev.skein.integration.security.SecuredBroker.ROLE_USERS;
import static dev.skein.integration.security.SecuredBroker.SUPER_PASSWORD;
import static dev.skein.integration.security.SecuredBroker.SUPER_USER;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.integration.fixtures.KafkaFixture;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.TestNodes;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AclBinding;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The ACLs docs/security.md gives each role are enough: a core, an agents and a worker process,
 * each logged in as its own user that holds only its role's ACLs ({@link SkeinAcls}), create their
 * topics, join their groups and serve a turn with a tool call together.
 */
@Tag("security")
class ComponentAclsIT {

    private final Deque<SkeinNode> nodes = new ArrayDeque<>();

    @AfterEach
    void stop() {
        while (!nodes.isEmpty()) {
            nodes.pop().close();
        }
    }

    @Test
    void eachRoleServesATurnWithOnlyItsOwnAcls() throws Exception {
        String prefix = KafkaFixture.uniqueName("acls") + ".";
        Map<Role, String> users =
                Map.of(Role.CORE, "skein-core", Role.AGENTS, "skein-agents", Role.WORKER, "skein-worker");
        try (Admin admin = Admin.create(SecuredBroker.login(SUPER_USER, SUPER_PASSWORD))) {
            for (Map.Entry<Role, String> role : users.entrySet()) {
                List<AclBinding> acls = SkeinAcls.of(role.getKey(), prefix, role.getValue());
                admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
            }
        }

        // Workers and runners first: the core's ingress answers once it is up, and routes only to live workers.
        for (Role role : List.of(Role.WORKER, Role.AGENTS, Role.CORE)) {
            String user = users.get(role);
            Map<String, Object> keys = new HashMap<>(SecuredBroker.nodeKeys(user, ROLE_USERS.get(user)));
            keys.put("skein.topics.prefix", prefix);
            // The derived ids, which the ACLs name: <G>sessions and <G>agents.
            keys.put("skein.streams.application-id", "");
            keys.put("skein.agents.share-group", "");
            nodes.push(
                    SkeinNode.start(TestNodes.config("acls-" + role.name().toLowerCase(), keys), Set.of(role), false));
        }
        SkeinClient client = new SkeinClient(nodes.peek().httpPort().orElseThrow());

        SkeinClient.Response response = client.postTurn("acl-check", "what is 6*7?", true);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body().path("status").asText()).isEqualTo("COMPLETED");
        assertThat(response.body().path("answer").asText()).contains("42");
        assertThat(SkeinClient.roles(client.awaitHistory("acl-check", 4)))
                .containsExactly("user", "assistant", "tool", "assistant");
    }
}
