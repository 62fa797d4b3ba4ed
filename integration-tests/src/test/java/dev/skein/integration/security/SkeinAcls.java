package dev.skein.integration.security;

import static org.apache.kafka.common.acl.AclOperation.ALTER_CONFIGS;
import static org.apache.kafka.common.acl.AclOperation.CREATE;
import static org.apache.kafka.common.acl.AclOperation.DESCRIBE;
import static org.apache.kafka.common.acl.AclOperation.DESCRIBE_CONFIGS;
import static org.apache.kafka.common.acl.AclOperation.READ;
import static org.apache.kafka.common.acl.AclOperation.WRITE;
import static org.apache.kafka.common.resource.PatternType.LITERAL;
import static org.apache.kafka.common.resource.PatternType.PREFIXED;
import static org.apache.kafka.common.resource.ResourceType.GROUP;
import static org.apache.kafka.common.resource.ResourceType.TOPIC;
import static org.apache.kafka.common.resource.ResourceType.TRANSACTIONAL_ID;

import dev.skein.app.runtime.SkeinNode.Role;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The ACLs of docs/security.md ("ACLs by role"), as bindings: what each role's principal is
 * granted, for a deployment with topic prefix {@code P} (group ids start with {@code G}, the prefix
 * with its trailing '.' as '-'). Keep the two in step: {@code ComponentAclsIT} proves these enough.
 */
final class SkeinAcls {

    private final String prefix;
    private final String groups;
    private final String principal;
    private final List<AclBinding> bindings = new ArrayList<>();

    private SkeinAcls(String prefix, String principal) {
        this.prefix = prefix;
        this.groups = prefix.endsWith(".") ? prefix.substring(0, prefix.length() - 1) + "-" : prefix;
        this.principal = principal;
    }

    /** The bindings for {@code role}, granted to {@code User:<user>}. */
    static List<AclBinding> of(Role role, String prefix, String user) {
        SkeinAcls acls = new SkeinAcls(prefix, "User:" + user);
        acls.everyRole();
        switch (role) {
            case CORE -> acls.core();
            case AGENTS -> acls.agents();
            case WORKER -> acls.worker();
        }
        return List.copyOf(acls.bindings);
    }

    private void everyRole() {
        // Every process checks and creates the topics it needs at start (TopicSetup), and checks co-partitioning.
        topic(prefix, PREFIXED, DESCRIBE, CREATE);
        // The embedded schema registry (none with skein.schema-registry.url).
        topic(prefix + "_schemas", LITERAL, READ, WRITE, DESCRIBE_CONFIGS);
        topic(prefix + "dead-letters", LITERAL, WRITE);
    }

    private void core() {
        // The topology's inputs; it also writes them: records on a partition that does not own
        // their session are forwarded to the one that does. The ingress writes turns and commands.
        for (String input : List.of("turns", "session-commands", "agent-steps", "tool-results")) {
            topic(prefix + input, LITERAL, READ, WRITE);
        }
        topic(prefix + "agent-requests", LITERAL, WRITE);
        topic(prefix + "tools.", PREFIXED, WRITE);
        topic(prefix + "responses", LITERAL, READ, WRITE);
        topic(prefix + "tool-result-cache", LITERAL, READ, WRITE);
        // Global stores (topology) and the ingress's views.
        for (String read : List.of("tool-catalog", "workers")) {
            topic(prefix + read, LITERAL, READ);
        }
        // The ingress's A2A push notification configs: read from the beginning, written on create and delete.
        topic(prefix + "a2a-push-configs", LITERAL, READ, WRITE);
        // Long-term memories: the ingress's /v1/memory reads them all and writes erasures.
        topic(prefix + "memories", LITERAL, READ, WRITE);
        // The streams: the ingress reads them, the topology writes each turn's start and completion
        // there, and the core keeps the topic's retention at skein.topics.deltas-retention.
        topic(prefix + "deltas", LITERAL, READ, WRITE, DESCRIBE_CONFIGS, ALTER_CONFIGS);
        // Kafka Streams: its group, its changelog topics and its transactional ids (exactly_once_v2).
        String application = groups + "sessions";
        bind(GROUP, application, LITERAL, READ);
        topic(application + "-", PREFIXED, CREATE, READ, WRITE, DESCRIBE_CONFIGS);
        bind(TRANSACTIONAL_ID, application + "-", PREFIXED, WRITE);
        // Tier metrics read the pools' share-group offsets, and the agent runners' for their backlog.
        bind(GROUP, groups + "workers-", PREFIXED, DESCRIBE);
        bind(GROUP, groups + "agents", LITERAL, DESCRIBE);
    }

    private void agents() {
        topic(prefix + "agent-requests", LITERAL, READ);
        topic(prefix + "agent-steps", LITERAL, WRITE);
        topic(prefix + "deltas", LITERAL, WRITE);
        // Completions, read without a group: a call of a turn that has ended is told to stop.
        topic(prefix + "responses", LITERAL, READ);
        // Long-term memories, read without a group into the runner's index for agents with a memory-share.
        topic(prefix + "memories", LITERAL, READ);
        // The share group, and its group configs (earliest offset, read_committed) set at start.
        bind(GROUP, groups + "agents", LITERAL, READ, ALTER_CONFIGS);
    }

    private void worker() {
        topic(prefix + "tools.", PREFIXED, READ);
        // Read at start for the conflict check, then written: one record per tool.
        topic(prefix + "tool-catalog", LITERAL, READ, WRITE);
        for (String written : List.of("workers", "tool-results", "deltas")) {
            topic(prefix + written, LITERAL, WRITE);
        }
        // The memory tools: remember and forget write, recall reads the index rebuilt from the topic.
        topic(prefix + "memories", LITERAL, READ, WRITE);
        bind(GROUP, groups + "workers-", PREFIXED, READ, ALTER_CONFIGS);
    }

    private void topic(String name, PatternType pattern, AclOperation... operations) {
        bind(TOPIC, name, pattern, operations);
    }

    private void bind(ResourceType type, String name, PatternType pattern, AclOperation... operations) {
        for (AclOperation operation : operations) {
            bindings.add(new AclBinding(
                    new ResourcePattern(type, name, pattern),
                    new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW)));
        }
    }
}
