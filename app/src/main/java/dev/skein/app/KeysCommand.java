package dev.skein.app;

import dev.skein.app.config.SkeinConfig;
import dev.skein.app.runtime.TopicSetup;
import dev.skein.events.ApiKey;
import dev.skein.ingress.auth.ApiKeys;
import dev.skein.ingress.auth.Role;
import dev.skein.ingress.auth.StoredKey;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.EventProducer;
import dev.skein.schemas.registry.EmbeddedSchemaRegistry;
import dev.skein.schemas.registry.RestSchemaRegistry;
import dev.skein.schemas.registry.SchemaRegistry;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code skein keys}: API keys in the compacted keys topic, which every ingress reads (no restart),
 * or as configuration entries. A key is printed once, when it is made; only its SHA-256 is kept.
 */
@Command(
        name = "keys",
        description = "API keys: add one to the keys topic (printed once), revoke one, or make a"
                + " configuration entry (skein.auth.api-keys).",
        subcommands = {KeysCommand.Add.class, KeysCommand.Revoke.class, KeysCommand.Hash.class})
final class KeysCommand {

    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);

    /** The tenant, roles and description of a new key, checked as the ingress will check them. */
    static final class Grant {
        @Option(names = "--tenant", description = "The tenant the key acts for (an operator key may have none).")
        String tenant;

        @Option(names = "--role", required = true, description = "operator, user or reader (repeatable).")
        List<String> roles;

        @Option(names = "--description", description = "What the key is for, e.g. who holds it.")
        String description;

        StoredKey storedFor(String key) {
            Set<Role> parsed = EnumSet.copyOf(Role.parseAll(roles));
            return new StoredKey(ApiKeys.idOf(key), ApiKeys.sha256(key), tenant, parsed, description);
        }
    }

    @Command(name = "add", description = "Make a key and add it to the keys topic; prints the key once.")
    static final class Add implements Callable<Integer> {
        @Mixin
        Skein.CommonOptions options;

        @Mixin
        Grant grant;

        @Override
        public Integer call() throws Exception {
            String key = ApiKeys.generate();
            StoredKey stored = grant.storedFor(key);
            ApiKey record = ApiKey.newBuilder()
                    .setId(stored.id())
                    .setSha256(stored.sha256())
                    .setTenant(stored.tenant())
                    .setRoles(stored.roles().stream().map(Role::label).sorted().toList())
                    .setDescription(stored.description())
                    .setCreatedAtMs(System.currentTimeMillis())
                    .build();
            write(options.load(), stored.id(), record);
            System.out.println("Added key " + stored.id() + " for tenant " + describeTenant(stored) + " with roles "
                    + roles(stored) + ". The key, shown this once (keep it secret):");
            System.out.println(key);
            return 0;
        }
    }

    @Command(name = "revoke", description = "Revoke a key of the keys topic by its id; takes effect at once.")
    static final class Revoke implements Callable<Integer> {
        @Mixin
        Skein.CommonOptions options;

        @Parameters(paramLabel = "ID", description = "The key id: the 12 characters after skein_.")
        String id;

        @Override
        public Integer call() throws Exception {
            if (!ApiKeys.isId(id)) {
                throw new IllegalArgumentException("'" + id + "' is not a key id: 12 of a-z 0-9 (skein_<id>_...)");
            }
            write(options.load(), id, null);
            System.out.println("Revoked key " + id + ".");
            return 0;
        }
    }

    @Command(
            name = "hash",
            description = "Make a key for the configuration: prints the key once and its skein.auth.api-keys entry.")
    static final class Hash implements Callable<Integer> {
        @Mixin
        Grant grant;

        @Override
        public Integer call() {
            String key = ApiKeys.generate();
            StoredKey stored = grant.storedFor(key);
            System.out.println("The key, shown this once (keep it secret):");
            System.out.println(key);
            System.out.println("Its entry for skein.auth.api-keys:");
            System.out.println("{ id = " + stored.id() + ", sha256 = " + stored.sha256()
                    + (stored.tenant() == null ? "" : ", tenant = \"" + stored.tenant() + "\"")
                    + ", roles = " + roles(stored)
                    + (stored.description() == null ? "" : ", description = \"" + stored.description() + "\"") + " }");
            return 0;
        }
    }

    /** Writes a key, or with a null value its tombstone, to the keys topic, creating the topic if needed. */
    private static void write(SkeinConfig config, String id, ApiKey value) throws Exception {
        String bootstrap = config.bootstrapServers().orElse("127.0.0.1:" + config.embeddedKafkaPort());
        Map<String, Object> clients = Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (SchemaRegistry registry = config.registryUrl().isPresent()
                        ? new RestSchemaRegistry(config.registryUrl().get())
                        : new EmbeddedSchemaRegistry(
                                bootstrap,
                                EmbeddedSchemaRegistry.defaultTopic(config.topicPrefix()),
                                config.replicationFactor());
                Admin admin = Admin.create(clients);
                EventProducer producer = new EventProducer(clients, "keys-cli")) {
            SkeinTopics topics = new SkeinTopics(config.topicPrefix(), registry);
            TopicSetup.ensureApiKeys(admin, topics, config.replicationFactor());
            producer.sendAndWait(topics.apiKeys, id, value, WRITE_TIMEOUT);
        }
    }

    private static String describeTenant(StoredKey stored) {
        return stored.tenant() == null ? "(any, by the tenant header; operator)" : stored.tenant();
    }

    private static String roles(StoredKey stored) {
        return stored.roles().stream().map(Role::label).sorted().collect(Collectors.joining(", ", "[", "]"));
    }

    private KeysCommand() {}
}
