package dev.skein.ingress;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** The state of the components the ingress depends on, as reported by {@code GET /health}. */
public record Health(Map<String, Component> components) {

    public Health {
        components = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(components, "components")));
    }

    /** One component: up or down, with a detail a person can act on. */
    public record Component(boolean up, String detail) {

        public static Component up(String detail) {
            return new Component(true, detail);
        }

        public static Component down(String detail) {
            return new Component(false, detail);
        }
    }

    /** Up only when every component is up (and vacuously when there are none). */
    public boolean isUp() {
        return components.values().stream().allMatch(Component::up);
    }
}
