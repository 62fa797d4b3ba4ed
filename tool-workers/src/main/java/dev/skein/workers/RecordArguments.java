package dev.skein.workers;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.victools.jsonschema.generator.Option;
import com.github.victools.jsonschema.generator.OptionPreset;
import com.github.victools.jsonschema.generator.SchemaGenerator;
import com.github.victools.jsonschema.generator.SchemaGeneratorConfigBuilder;
import com.github.victools.jsonschema.generator.SchemaVersion;
import com.github.victools.jsonschema.module.jackson.JacksonModule;
import com.github.victools.jsonschema.module.jackson.JacksonOption;
import com.github.victools.jsonschema.module.jakarta.validation.JakartaValidationModule;
import com.github.victools.jsonschema.module.jakarta.validation.JakartaValidationOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The arguments of a tool as a Java record: its JSON Schema, derived with victools'
 * jsonschema-generator, and the binding of an arguments object to an instance, with Jackson.
 *
 * <p>Schema rules: each record component is a property; primitive components, and components
 * annotated {@code @jakarta.validation.constraints.NotNull} or {@code @JsonProperty(required =
 * true)}, are required; {@code @JsonPropertyDescription} gives a property's description and
 * Jakarta's {@code @Min}, {@code @Max}, {@code @Size}, {@code @Pattern} its bounds; other
 * properties are not allowed. The session topology validates calls against the schema before
 * dispatching them; binding here checks presence and types again, because a request may come
 * from another producer, but not the bounds: a tool that depends on one checks it.
 */
public final class RecordArguments<A extends Record> {

    private static final SchemaGenerator GENERATOR = generator();

    private static SchemaGenerator generator() {
        SchemaGeneratorConfigBuilder config = new SchemaGeneratorConfigBuilder(
                        SchemaVersion.DRAFT_2020_12, OptionPreset.PLAIN_JSON)
                .with(new JacksonModule(JacksonOption.RESPECT_JSONPROPERTY_REQUIRED))
                .with(new JakartaValidationModule(
                        JakartaValidationOption.NOT_NULLABLE_FIELD_IS_REQUIRED,
                        JakartaValidationOption.INCLUDE_PATTERN_EXPRESSIONS))
                .with(Option.FORBIDDEN_ADDITIONAL_PROPERTIES_BY_DEFAULT)
                .without(Option.SCHEMA_VERSION_INDICATOR);
        // A primitive cannot be absent: Jackson would silently make it 0.
        config.forFields()
                .withRequiredCheck(field -> field.getType().getErasedType().isPrimitive());
        return new SchemaGenerator(config.build());
    }

    // Strict: a string "5" is not the integer 5, and a missing or null primitive is an error, not 0.
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();

    private final Class<A> type;
    private final String toolName;
    private final ObjectNode schema;
    private final List<String> required;
    private final List<String> properties;

    private RecordArguments(Class<A> type, String toolName) {
        this.type = Objects.requireNonNull(type, "type");
        this.toolName = toolName;
        this.schema = GENERATOR.generateSchema(type);
        List<String> names = new ArrayList<>();
        schema.path("properties").fieldNames().forEachRemaining(names::add);
        this.properties = List.copyOf(names);
        List<String> needed = new ArrayList<>();
        schema.path("required").forEach(node -> needed.add(node.asText()));
        this.required = List.copyOf(needed);
    }

    /** The arguments of the tool {@code toolName}, declared by the record {@code type}. */
    public static <A extends Record> RecordArguments<A> of(Class<A> type, String toolName) {
        return new RecordArguments<>(type, toolName);
    }

    /** The JSON Schema of the arguments object. */
    public String schema() {
        return schema.toString();
    }

    /**
     * The record the arguments stand for.
     *
     * @throws ToolFailure saying which argument is missing, unknown or of the wrong type, and what the tool takes
     */
    public A bind(JsonNode arguments) throws ToolFailure {
        if (arguments == null || !arguments.isObject()) {
            throw new ToolFailure(toolName + " takes a JSON object " + takes() + ", got: " + arguments);
        }
        List<String> missing = required.stream()
                .filter(name -> !arguments.has(name) || arguments.get(name).isNull())
                .toList();
        if (!missing.isEmpty()) {
            throw new ToolFailure(toolName + " is missing " + (missing.size() == 1 ? "argument " : "arguments ")
                    + missing.stream().map(name -> "'" + name + "'").collect(Collectors.joining(", ")) + "; it takes "
                    + takes());
        }
        try {
            return MAPPER.treeToValue(arguments, type);
        } catch (UnrecognizedPropertyException e) {
            throw new ToolFailure(toolName + " has no argument '" + e.getPropertyName() + "'; it takes " + takes(), e);
        } catch (InvalidFormatException e) {
            throw new ToolFailure(
                    "argument '" + path(e) + "' of " + toolName + " must be " + expected(e) + ", got " + e.getValue()
                            + "; it takes " + takes(),
                    e);
        } catch (MismatchedInputException e) {
            throw new ToolFailure(
                    "argument '" + path(e) + "' of " + toolName + " must be " + expected(e) + "; it takes " + takes(),
                    e);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            // A record's own constructor check (IllegalArgumentException) speaks for itself.
            String message = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new ToolFailure(
                    "the arguments of " + toolName + " are not valid: " + message + "; it takes " + takes(), e);
        }
    }

    private String takes() {
        return schema.toString();
    }

    private static String path(MismatchedInputException e) {
        return e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining("."));
    }

    private static String expected(MismatchedInputException e) {
        Class<?> target = e.getTargetType();
        if (target == null) {
            return "of another type";
        }
        if (target == int.class
                || target == long.class
                || target == Integer.class
                || target == Long.class
                || target == short.class
                || target == Short.class) {
            return "an integer";
        }
        if (target == double.class || target == float.class || target == Double.class || target == Float.class) {
            return "a number";
        }
        if (target == boolean.class || target == Boolean.class) {
            return "true or false";
        }
        if (target == String.class) {
            return "a string";
        }
        if (target.isArray() || List.class.isAssignableFrom(target)) {
            return "an array";
        }
        return "an object (" + target.getSimpleName() + ")";
    }
}
