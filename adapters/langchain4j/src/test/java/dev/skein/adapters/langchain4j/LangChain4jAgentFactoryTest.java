package dev.skein.adapters.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.model.anthropic.AnthropicChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.skein.adapters.AgentAdapterFactory;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class LangChain4jAgentFactoryTest {

    @Test
    void isFoundByTheServiceLoader() {
        assertThat(ServiceLoader.load(AgentAdapterFactory.class).stream().map(ServiceLoader.Provider::get))
                .anySatisfy(factory -> assertThat(factory.kind()).isEqualTo("langchain4j"));
    }

    @Test
    void buildsBothProvidersWithTheirDefaultKeyVariables() {
        assertThat(LangChain4jAgentFactory.model(
                        Conversations.spec("a", Map.of("provider", "anthropic", "model", "claude-sonnet-4-5")),
                        Map.of("ANTHROPIC_API_KEY", "k")))
                .isInstanceOf(AnthropicChatModel.class);
        assertThat(LangChain4jAgentFactory.model(
                        Conversations.spec("o", Map.of("provider", "OpenAI", "model", "gpt-4.1")),
                        Map.of("OPENAI_API_KEY", "k")))
                .isInstanceOf(OpenAiChatModel.class);
        assertThat(new LangChain4jAgentFactory()
                        .create(
                                Conversations.spec("travel", Map.of("provider", "openai", "model", "gpt-4.1")),
                                Map.of("OPENAI_API_KEY", "k"))
                        .name())
                .isEqualTo("travel");
    }

    @Test
    void badConfigurationNamesTheKeyToFix() {
        LangChain4jAgentFactory factory = new LangChain4jAgentFactory();
        assertThatThrownBy(() -> factory.create(Conversations.spec("a", Map.of("model", "m")), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("skein.agents.definitions.a.provider");
        assertThatThrownBy(() ->
                        factory.create(Conversations.spec("a", Map.of("provider", "gemini", "model", "m")), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be anthropic or openai");
        assertThatThrownBy(() -> factory.create(
                        Conversations.spec("a", Map.of("provider", "anthropic")), Map.of("ANTHROPIC_API_KEY", "k")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("skein.agents.definitions.a.model");
        assertThatThrownBy(() -> factory.create(
                        Conversations.spec("a", Map.of("provider", "anthropic", "model", "m", "api-key-env", "MY_KEY")),
                        Map.of("ANTHROPIC_API_KEY", "k")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("MY_KEY")
                .hasMessageContaining("skein.agents.definitions.a.api-key-env");
        assertThatThrownBy(() -> factory.create(
                        Conversations.spec("a", Map.of("provider", "openai", "model", "m", "max-tokens", "lots")),
                        Map.of("OPENAI_API_KEY", "k")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("skein.agents.definitions.a.max-tokens");
        assertThatThrownBy(() -> factory.create(
                        Conversations.spec("a", Map.of("provider", "openai", "model", "m", "temperature", "warm")),
                        Map.of("OPENAI_API_KEY", "k")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("skein.agents.definitions.a.temperature");
    }
}
