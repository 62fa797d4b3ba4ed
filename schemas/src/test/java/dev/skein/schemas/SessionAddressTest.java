package dev.skein.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SessionAddressTest {

    @Test
    void theKeyIsTheAddressAsTopicsKeyIt() {
        assertThat(SessionAddress.key("acme", "s1")).isEqualTo("acme/s1");
        assertThat(new SessionAddress("acme", "s1")).hasToString(SessionAddress.key("acme", "s1"));
        assertThat(SessionAddress.parse(SessionAddress.key("acme", "s1"))).isEqualTo(new SessionAddress("acme", "s1"));
    }
}
