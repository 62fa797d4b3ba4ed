package dev.skein.adapters.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.adapters.AgentAdapterFactory;
import dev.skein.adapters.AgentSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class OpenAiSettingsTest {

    @Test
    void theFactoryIsFoundByKind() {
        assertThat(ServiceLoader.load(AgentAdapterFactory.class).stream()
                        .map(ServiceLoader.Provider::get)
                        .filter(f -> f.kind().equals("openai"))
                        .findFirst())
                .get()
                .isInstanceOf(OpenAiAgentFactory.class);
    }

    @Test
    void defaultsComeFromTheEnvironmentThenOpenAi() {
        OpenAiSettings fromEnvironment = OpenAiSettings.from(
                AgentSpec.of("local", "openai", Duration.ofSeconds(25)),
                Map.of("OPENAI_BASE_URL", "http://localhost:11434/v1", "OPENAI_MODEL", "llama3.2"));
        OpenAiSettings openAi =
                OpenAiSettings.from(spec(Map.of("model", "gpt-4o-mini")), Map.of("OPENAI_API_KEY", "sk-1"));

        assertThat(fromEnvironment)
                .isEqualTo(new OpenAiSettings(
                        "http://localhost:11434/v1",
                        "llama3.2",
                        Optional.empty(),
                        "OPENAI_API_KEY",
                        null,
                        null,
                        null,
                        true,
                        2,
                        Duration.ofSeconds(25)));
        assertThat(openAi.baseUrl()).isEqualTo("https://api.openai.com/v1");
        assertThat(openAi.apiKey()).contains("sk-1");
    }

    @Test
    void optionsWinOverTheEnvironment() {
        OpenAiSettings settings = OpenAiSettings.from(
                spec(Map.of(
                        "base-url",
                        "http://vllm:8000/v1",
                        "model",
                        "Qwen/Qwen2.5-7B-Instruct",
                        "api-key-env",
                        "VLLM_KEY",
                        "max-tokens",
                        "512",
                        "max-completion-tokens",
                        "1024",
                        "temperature",
                        "0.7",
                        "stream",
                        "false",
                        "max-retries",
                        "0")),
                Map.of(
                        "OPENAI_BASE_URL",
                        "http://ignored/v1",
                        "OPENAI_MODEL",
                        "ignored",
                        "OPENAI_API_KEY",
                        "sk-ignored",
                        "VLLM_KEY",
                        "token-abc"));

        assertThat(settings)
                .isEqualTo(new OpenAiSettings(
                        "http://vllm:8000/v1",
                        "Qwen/Qwen2.5-7B-Instruct",
                        Optional.of("token-abc"),
                        "VLLM_KEY",
                        512L,
                        1024L,
                        0.7,
                        false,
                        0,
                        Duration.ofSeconds(25)));
    }

    @Test
    void aMissingModelOrABadValueNamesTheKeyToFix() {
        assertThatThrownBy(() -> OpenAiSettings.from(spec(Map.of()), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("skein.agents.definitions.assistant.model")
                .hasMessageContaining("OPENAI_MODEL");
        assertThatThrownBy(() -> OpenAiSettings.from(spec(Map.of("model", "m", "max-tokens", "lots")), Map.of()))
                .hasMessageContaining("skein.agents.definitions.assistant.max-tokens")
                .hasMessageContaining("'lots'");
        assertThatThrownBy(() -> OpenAiSettings.from(spec(Map.of("model", "m", "temperature", "3")), Map.of()))
                .hasMessageContaining("skein.agents.definitions.assistant.temperature");
        assertThatThrownBy(() -> OpenAiSettings.from(spec(Map.of("model", "m", "stream", "maybe")), Map.of()))
                .hasMessageContaining("skein.agents.definitions.assistant.stream");
        assertThatThrownBy(() -> OpenAiSettings.from(spec(Map.of("model", "m", "max-retries", "-1")), Map.of()))
                .hasMessageContaining("skein.agents.definitions.assistant.max-retries");
        assertThatThrownBy(
                        () -> OpenAiSettings.from(spec(Map.of("model", "m", "base-url", "localhost:11434")), Map.of()))
                .hasMessageContaining("skein.agents.definitions.assistant.base-url");
    }

    private static AgentSpec spec(Map<String, String> options) {
        return new AgentSpec("assistant", "openai", options, "", Duration.ofSeconds(25), List.of());
    }
}
