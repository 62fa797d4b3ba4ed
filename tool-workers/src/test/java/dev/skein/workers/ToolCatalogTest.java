package dev.skein.workers;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.events.ToolDefinition;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ToolCatalogTest {

    private final ToolDefinition registered =
            ToolDefinitions.of(Tools.define("render").description("v1").cpus(1).handler(args -> ""), "w-old");

    @Test
    void theSameDefinitionFromAnotherWorkerOrWithANewDescriptionIsFine() {
        ToolDefinition same = ToolDefinitions.of(
                Tools.define("render").description("better words").cpus(1).handler(args -> ""), "w-new");

        assertThatCode(() -> ToolCatalog.check(List.of(same), Map.of("render", registered)))
                .doesNotThrowAnyException();
        assertThatCode(() -> ToolCatalog.check(List.of(same), Map.of())).doesNotThrowAnyException();
    }

    @Test
    void aChangedToolWithTheSameVersionIsRefusedWithWhatDiffers() {
        ToolDefinition changed =
                ToolDefinitions.of(Tools.define("render").cpus(2).handler(args -> ""), "w-new");

        assertThatThrownBy(() -> ToolCatalog.check(List.of(changed), Map.of("render", registered)))
                .isInstanceOf(ToolCatalog.ConflictException.class)
                .hasMessage("tool 'render' version 1 is already registered with different resources (cpus 1 vs 2) by"
                        + " worker w-old; give the changed tool a new version");
    }

    @Test
    void aChangedSchemaOrFlagIsAConflictButReformattedJsonIsNot() {
        ToolDefinition reformatted = ToolDefinitions.of(
                Tools.define("render")
                        .cpus(1)
                        .schema("{ \"type\" : \"object\" }")
                        .handler(args -> ""),
                "w-new");
        ToolDefinition cacheable =
                ToolDefinitions.of(Tools.define("render").cpus(1).cacheable().handler(args -> ""), "w");

        assertThatCode(() -> ToolCatalog.check(List.of(reformatted), Map.of("render", registered)))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> ToolCatalog.check(List.of(cacheable), Map.of("render", registered)))
                .hasMessageContaining("different cacheable (false vs true)");
    }

    @Test
    void aNewerRegisteredVersionIsRefusedAndANewerOwnVersionIsNot() {
        ToolDefinition v3 =
                ToolDefinitions.of(Tools.define("render").version(3).cpus(4).handler(args -> ""), "w3");

        assertThatThrownBy(() -> ToolCatalog.check(List.of(registered), Map.of("render", v3)))
                .isInstanceOf(ToolCatalog.ConflictException.class)
                .hasMessageStartingWith("a newer version 3 of tool 'render' is registered (by worker w3)");
        assertThatCode(() -> ToolCatalog.check(List.of(v3), Map.of("render", registered)))
                .doesNotThrowAnyException();
    }
}
