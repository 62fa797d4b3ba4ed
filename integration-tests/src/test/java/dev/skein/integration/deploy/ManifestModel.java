package dev.skein.integration.deploy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A manifest read into the typed Kubernetes model of the fabric8 client, which knows every kind of
 * the core API groups and each of their fields. An unknown kind is an error (fabric8 would read it
 * as a {@link GenericKubernetesResource}), except the custom resources {@link CrdSchemas} holds a
 * schema for; so is an unknown field: fabric8 keeps such a field in the {@code
 * additionalProperties} of the object that has it instead of failing, so every object of the read
 * model is walked and any non-empty {@code additionalProperties} reported with its path. A value of
 * the wrong type fails the read itself.
 */
final class ManifestModel {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private ManifestModel() {}

    /** What is wrong with one document; empty when it reads cleanly into its typed model or CRD schema. */
    static List<String> problems(Map<String, Object> document) {
        String apiVersion = String.valueOf(document.get("apiVersion"));
        String kind = String.valueOf(document.get("kind"));
        Object name = document.get("metadata") instanceof Map<?, ?> m ? m.get("name") : null;
        String what = kind + " " + name + " (" + apiVersion + ")";
        if (CrdSchemas.has(apiVersion, kind)) {
            return CrdSchemas.problems(apiVersion, kind, document).stream()
                    .map(p -> what + ": " + p)
                    .toList();
        }
        Class<? extends KubernetesResource> type = SERIALIZATION.getRegisteredKubernetesResource(apiVersion, kind);
        if (type == null || type == GenericKubernetesResource.class) {
            return List.of(what + ": not a kind of the Kubernetes API, nor a custom resource with a schema in"
                    + " src/test/resources/deploy/schemas");
        }
        Object typed;
        try {
            typed = SERIALIZATION.convertValue(document, type);
        } catch (RuntimeException e) {
            return List.of(what + ": does not read as " + type.getSimpleName() + ": " + e.getMessage());
        }
        List<String> problems = new ArrayList<>();
        if (!(typed instanceof HasMetadata)) {
            problems.add(what + ": read as " + typed.getClass().getName() + ", not a resource");
        }
        unknownFields(typed, kind, problems);
        return problems.stream()
                .map(p -> p.startsWith(what) ? p : what + ": " + p)
                .toList();
    }

    /** Reads a document into its typed model; fails on anything {@link #problems} reports. */
    static <T> T read(Map<String, Object> document, Class<T> type) {
        List<String> problems = problems(document);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("\n", problems));
        }
        return SERIALIZATION.convertValue(document, type);
    }

    private static void unknownFields(Object value, String path, List<String> problems) {
        if (value == null) {
            return;
        }
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                unknownFields(item, path + "[" + i++ + "]", problems);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((key, item) -> unknownFields(item, path + "." + key, problems));
            return;
        }
        if (!value.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0
                    || Modifier.isStatic(getter.getModifiers())
                    || getter.getDeclaringClass() == Object.class
                    || !getter.getName().startsWith("get")) {
                continue;
            }
            Object field;
            try {
                field = getter.invoke(value);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                if (field instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    problems.add(path + ": unknown field(s) " + extra.keySet());
                }
                continue;
            }
            String name = getter.getName().substring(3);
            unknownFields(field, path + "." + Character.toLowerCase(name.charAt(0)) + name.substring(1), problems);
        }
    }
}
