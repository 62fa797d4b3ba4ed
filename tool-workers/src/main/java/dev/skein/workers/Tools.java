package dev.skein.workers;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.schemas.resources.ByteSize;
import dev.skein.schemas.resources.Resources;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.function.Function;

/**
 * Tools defined in code, for tests, demos and small services:
 *
 * <pre>{@code
 * Tool render = Tools.define("render_scene")
 *         .description("Renders a scene to a PNG and returns its URL")
 *         .arguments(Scene.class)                 // a record: the schema is derived from it
 *         .cpus(4).memory("16g").gpus(1).resource("render_license", 1)
 *         .timeout(Duration.ofMinutes(5))
 *         .retry(Retry.none().withMaxAttempts(3).on(IOException.class))
 *         .handler(scene -> renderer.render(scene));
 * }</pre>
 *
 * Without {@code arguments(...)}, the handler receives the raw arguments object and the schema is
 * given with {@code schema(...)} (by default: an object with any properties).
 */
public final class Tools {

    private Tools() {}

    /** Every tool listed in {@code META-INF/services/dev.skein.workers.Tool} on the class path. */
    public static List<Tool> discover() {
        return ServiceLoader.load(Tool.class).stream()
                .map(ServiceLoader.Provider::get)
                .toList();
    }

    /** Starts the definition of the tool {@code name} (lower case, digits and underscores). */
    public static Builder<JsonNode> define(String name) {
        return new Builder<>(name, node -> node, "{\"type\":\"object\"}");
    }

    /** What a defined tool does with one call. */
    @FunctionalInterface
    public interface Handler<A> {
        /** @see Tool#run for the exceptions and interruption */
        String handle(A arguments) throws Exception;
    }

    /** A tool's definition in progress; {@link #handler} completes it. */
    public static final class Builder<A> {

        private final String name;
        private final Binder<A> binder;
        private String schema;
        private String description = "";
        private int version = 1;
        private Resources resources = Resources.DEFAULT;
        private Duration timeout = Duration.ofSeconds(30);
        private Retry retry = Retry.none();
        private boolean cacheable;
        private Duration cacheTtl = Duration.ZERO;
        private boolean requiresApproval;

        private Builder(String name, Binder<A> binder, String schema) {
            if (name == null || !name.matches("[a-z][a-z0-9_]{0,63}")) {
                throw new IllegalArgumentException(
                        "tool name '" + name + "' must be 1 to 64 of a-z 0-9 _ starting with a letter");
            }
            this.name = name;
            this.binder = binder;
            this.schema = schema;
        }

        /** The arguments as a record: the schema is derived from it and the handler receives it bound. */
        public <R extends Record> Builder<R> arguments(Class<R> type) {
            RecordArguments<R> arguments = RecordArguments.of(type, name);
            Builder<R> typed = new Builder<>(name, arguments::bind, arguments.schema());
            typed.description = description;
            typed.version = version;
            typed.resources = resources;
            typed.timeout = timeout;
            typed.retry = retry;
            typed.cacheable = cacheable;
            typed.cacheTtl = cacheTtl;
            typed.requiresApproval = requiresApproval;
            return typed;
        }

        /** The JSON Schema of the arguments, for a tool without an arguments record. */
        public Builder<A> schema(String jsonSchema) {
            this.schema = Objects.requireNonNull(jsonSchema, "jsonSchema");
            return this;
        }

        public Builder<A> description(String text) {
            this.description = Objects.requireNonNull(text, "description");
            return this;
        }

        public Builder<A> version(int number) {
            if (number < 1) {
                throw new IllegalArgumentException("version of " + name + " must be at least 1, got " + number);
            }
            this.version = number;
            return this;
        }

        public Builder<A> cpus(double amount) {
            return resources(r -> r.withCpus(amount));
        }

        public Builder<A> gpus(int amount) {
            return resources(r -> r.withGpus(amount));
        }

        /** Memory as a size such as {@code 512m} or {@code 16GiB} (see {@link ByteSize}). */
        public Builder<A> memory(String size) {
            return resources(r -> r.withMemory(size));
        }

        public Builder<A> memoryBytes(long bytes) {
            return resources(r -> r.withMemoryBytes(bytes));
        }

        /** Needs {@code amount} of the custom resource {@code resourceName} (a licence, an FPGA). */
        public Builder<A> resource(String resourceName, double amount) {
            return resources(r -> r.with(resourceName, amount));
        }

        public Builder<A> resources(Resources needs) {
            this.resources = Objects.requireNonNull(needs, "resources");
            return this;
        }

        private Builder<A> resources(Function<Resources, Resources> change) {
            this.resources = change.apply(resources);
            return this;
        }

        public Builder<A> timeout(Duration limit) {
            if (limit == null || limit.isNegative() || limit.isZero()) {
                throw new IllegalArgumentException("timeout of " + name + " must be positive, got " + limit);
            }
            this.timeout = limit;
            return this;
        }

        public Builder<A> retry(Retry policy) {
            this.retry = Objects.requireNonNull(policy, "retry");
            return this;
        }

        /** The same arguments always give the same output: results may be reused for the deployment's default time. */
        public Builder<A> cacheable() {
            return cacheable(Duration.ZERO);
        }

        /** The same arguments always give the same output: results may be reused for {@code ttl}. */
        public Builder<A> cacheable(Duration ttl) {
            if (ttl == null || ttl.isNegative()) {
                throw new IllegalArgumentException("cache ttl of " + name + " must be zero or positive, got " + ttl);
            }
            this.cacheable = true;
            this.cacheTtl = ttl;
            return this;
        }

        public Builder<A> requiresApproval() {
            this.requiresApproval = true;
            return this;
        }

        /** Completes the definition: the tool that runs {@code handler} for each call. */
        public Tool handler(Handler<A> handler) {
            Objects.requireNonNull(handler, "handler");
            return new DefinedTool<>(
                    name,
                    description,
                    schema,
                    version,
                    resources,
                    timeout,
                    retry,
                    cacheable,
                    cacheTtl,
                    requiresApproval,
                    binder,
                    handler);
        }
    }

    @FunctionalInterface
    private interface Binder<A> {
        A bind(JsonNode arguments) throws ToolFailure;
    }

    private record DefinedTool<A>(
            String name,
            String description,
            String parametersSchema,
            int version,
            Resources resources,
            Duration timeout,
            Retry retry,
            boolean cacheable,
            Duration cacheTtl,
            boolean requiresApproval,
            Binder<A> binder,
            Handler<A> handler)
            implements Tool {

        @Override
        public String run(JsonNode arguments) throws Exception {
            return handler.handle(binder.bind(arguments));
        }

        @Override
        public String toString() {
            return "Tool[" + name + " v" + version + ", " + resources + "]";
        }
    }
}
